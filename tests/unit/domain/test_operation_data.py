"""The import document (OpsDataset), its validation errors, the reader's indexes and the snapshot."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from domain_scenarios import SCENARIOS, SCENARIOS_DIR, load_dataset, load_event
from pydantic import ValidationError

from skymarshal.domain import InMemoryOpsReader, OpsDataset, Snapshot, SnapshotError, build_snapshot
from skymarshal.domain.operation import Airport, flight_key


@pytest.mark.parametrize("stem", SCENARIOS)
def test_every_scenario_is_a_valid_import_document_with_a_matching_event(stem: str) -> None:
    ds = load_dataset(stem)
    event = load_event(stem)
    assert ds.schema_version == "1"
    assert InMemoryOpsReader(ds).get_flight(event.flight_number, event.flight_date) is not None
    assert event.event_id == stem


def _minimal() -> dict:
    return {
        "schema_version": "1",
        "airports": [
            {"iata": "AUH", "name": "Abu Dhabi", "timezone": "Asia/Dubai", "lat": 24.4, "lon": 54.6},
            {"iata": "FRA", "name": "Frankfurt", "timezone": "Europe/Berlin", "lat": 50.0, "lon": 8.5},
        ],
        "aircraft_types": [{"type_code": "B789", "family": "B787", "seats": 299}],
        "aircraft": [
            {"tail": "A6-BLA", "type_code": "B789", "seats": 299, "home_base": "AUH", "station": "AUH"}
        ],
        "flights": [
            {
                "flight_number": "EY123",
                "flight_date": "2026-12-01",
                "origin": "AUH",
                "destination": "FRA",
                "std_utc": "2026-12-01T06:20:00Z",
                "sta_utc": "2026-12-01T12:50:00Z",
                "tail": "A6-BLA",
                "cockpit_crew": ["C1"],
            }
        ],
        "crew": [{"crew_id": "C1", "name": "A", "rank": "CPT", "base": "AUH", "type_ratings": ["B787"]}],
        "bookings": [{"pnr": "ABC123", "flight_key": "EY123/2026-12-01", "pax_count": 2}],
    }


def test_a_minimal_document_validates_and_defaults_the_cost_parameters() -> None:
    ds = OpsDataset.model_validate(_minimal())
    assert ds.cost_parameters.delay_cost_per_minute == 100.0


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["flights"][0].update(tail="A6-XXX"), "flights[0].tail: 'A6-XXX' is not in aircraft"),
        (
            lambda d: d["flights"][0].update(cockpit_crew=["C9"]),
            "flights[0].cockpit_crew: 'C9' is not in crew",
        ),
        (
            lambda d: d["bookings"][0].update(flight_key="EY999/2026-12-01"),
            "bookings[0].flight_key: 'EY999/2026-12-01' is not in flights",
        ),
        (
            lambda d: d["flights"][0].update(destination="LHR"),
            "flights[0].destination: 'LHR' is not in airports",
        ),
        (lambda d: d["aircraft"].append(dict(d["aircraft"][0])), "aircraft.tail: 'A6-BLA' is duplicated"),
        (lambda d: d["airports"][0].update(timezone="Mars/Olympus"), "unknown IANA timezone"),
        (lambda d: d["flights"][0].update(sta_utc="2026-12-01T05:00:00Z"), "sta_utc must be after std_utc"),
        (lambda d: d["flights"][0].update(std_utc="2026-12-01T06:20:00"), "timezone"),
        (lambda d: d["bookings"][0].update(pax=2), "Extra inputs are not permitted"),
        (
            lambda d: d["bookings"][0].update(onward={"flight_number": "LH900", "flight_date": "2026-12-01"}),
            "onward.std_utc is required",
        ),
    ],
)
def test_invalid_documents_fail_with_the_field_and_the_reason(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    doc = _minimal()
    mutate(doc)
    with pytest.raises(ValidationError) as err:
        OpsDataset.model_validate(doc)
    assert message in str(err.value)


def test_the_json_schema_of_the_import_document_is_printable() -> None:
    schema = OpsDataset.model_json_schema()
    assert {"airports", "flights", "crew", "duties", "bookings", "cargo", "cost_parameters"} <= set(
        schema["properties"]
    )
    json.dumps(schema)


def test_the_reader_answers_by_key_and_index() -> None:
    reader = InMemoryOpsReader(load_dataset("ey123-technical-delay"))
    day = date(2026, 12, 1)
    assert reader.get_flight("EY123", day) is not None
    assert reader.get_flight("EY123", date(2026, 12, 3)) is None
    assert reader.get_airport("FRA") is not None and reader.get_aircraft("A6-BLA") is not None
    start, end = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)
    assert [f.flight_number for f in reader.flights_of_tail("A6-BLA", start, end)] == [
        "EY101",
        "EY102",
        "EY123",
        "EY124",
    ]
    assert {a.tail for a in reader.aircraft_at_station("AUH")} >= {"A6-BLA", "A6-BLB", "A6-BLG"}
    assert len(reader.reserves_at("AUH", day)) == 7 and reader.reserves_at("AUH", date(2026, 12, 5)) == []
    assert len(reader.duties(["C123A", "RC-CPT1", "nobody"], day)) == 2
    assert sum(b.pax_count for b in reader.bookings_for_flight(flight_key("EY123", day))) == 230
    assert len(reader.cargo_for_flight(flight_key("EY123", day))) == 2
    assert next(f.key for f in reader.flights_on_route("AUH", "FRA", start, end)) == "EY123/2026-12-01"
    assert all(f.origin == "AUH" for f in reader.departures("AUH", start, end))


def test_the_snapshot_holds_what_the_disruption_needs_and_round_trips_as_json() -> None:
    snap = build_snapshot(
        load_event("ey123-technical-delay"), InMemoryOpsReader(load_dataset("ey123-technical-delay"))
    )
    assert snap.flight.flight_number == "EY123" and snap.destination.iata == "FRA"
    assert snap.rotation == ["EY101/2026-12-01", "EY102/2026-12-01", "EY123/2026-12-01", "EY124/2026-12-01"]
    assert {a.tail for a in snap.swap_candidates} == {"A6-BLB", "A6-BLF", "A6-BLG"}
    assert snap.bookings.pax == 230 and snap.bookings.connecting_pax == 10
    assert len(snap.connecting_bookings) == 4  # only connecting bookings kept in detail
    assert set(snap.duties) >= {"C123A", "RC-CPT1"}
    assert snap.rebooking_options == ["EY125/2026-12-01", "EY123/2026-12-02"]
    assert Snapshot.model_validate_json(snap.model_dump_json()) == snap


def test_an_unknown_flight_is_a_clear_snapshot_error() -> None:
    event = load_event("ey123-technical-delay").model_copy(update={"flight_number": "EY999"})
    with pytest.raises(SnapshotError, match="EY999/2026-12-01"):
        build_snapshot(event, InMemoryOpsReader(load_dataset("ey123-technical-delay")))


def test_scenario_files_are_small() -> None:
    for stem in SCENARIOS:
        assert (SCENARIOS_DIR / f"{stem}.json").stat().st_size < 100_000


def test_curfew_times_are_local_hh_mm_and_anything_that_would_be_misread_is_refused() -> None:
    base = {"iata": "FRA", "name": "Frankfurt", "timezone": "Europe/Berlin", "lat": 50.0, "lon": 8.5}
    ok = Airport.model_validate({**base, "curfew_start_local": "23:00", "curfew_end_local": "05:00"})
    assert ok.model_dump(mode="json")["curfew_start_local"] == "23:00"  # round-trips as published
    for bad in ("23:00:00Z", "23:00+01:00", "23:00:00", "11pm", "24:00"):
        with pytest.raises(ValidationError, match="curfew_start_local"):
            Airport.model_validate({**base, "curfew_start_local": bad, "curfew_end_local": "05:00"})
    schema = OpsDataset.model_json_schema()
    published = json.dumps(schema["$defs"]["Airport"]["properties"]["curfew_start_local"])
    assert '"pattern"' in published and '"format": "time"' not in published


def test_the_operating_carrier_and_its_community_status_are_part_of_the_import_format() -> None:
    props = OpsDataset.model_json_schema()["$defs"]["Flight"]["properties"]
    assert {"operating_carrier", "community_carrier"} <= set(props)


def _second_flight(**changes: object) -> dict:
    """EY125 AUH-FRA two hours after EY123 (still in the air until 12:50Z), on the same tail and crew."""
    return {"flight_number": "EY125", "flight_date": "2026-12-01", "origin": "AUH", "destination": "FRA",
            "std_utc": "2026-12-01T08:20:00Z", "sta_utc": "2026-12-01T14:50:00Z", **changes}


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["flights"][0].update(cabin_crew=["C1"]),
         "flights[0]: crew member 'C1' is listed twice on EY123/2026-12-01"),
        (lambda d: d["flights"].append(_second_flight(cockpit_crew=["C1"])),
         "flights[1].crew: crew member 'C1' is already on flights[0] EY123/2026-12-01 (06:20Z-12:50Z) when "
         "EY125/2026-12-01 departs at 08:20Z"),
        (lambda d: d["flights"].append(_second_flight(tail="A6-BLA")),
         "flights[1].tail: aircraft 'A6-BLA' is already on flights[0] EY123/2026-12-01 (06:20Z-12:50Z) when "
         "EY125/2026-12-01 departs at 08:20Z"),
    ],
)
def test_an_impossible_schedule_is_refused_with_both_records_named(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    """A crew member twice on a flight, or a crew member or a tail on two flights at once, cannot be flown:
    the import refuses it (an overlapping tail once turned a swap into a cancellation with no escalation)."""
    doc = _minimal()
    mutate(doc)
    with pytest.raises(ValidationError) as err:
        OpsDataset.model_validate(doc)
    assert message in str(err.value)


def test_a_cancelled_flight_frees_its_tail_and_crew() -> None:
    doc = _minimal()
    doc["flights"].append(_second_flight(tail="A6-BLA", cockpit_crew=["C1"], status="cancelled"))
    OpsDataset.model_validate(doc)
