"""Make moto's DynamoDB `Query` proportional to the partition it reads, not to the table (local stack only).

moto 5.2.5 answers every `Query` by sorting *all* the items of the table (`Table.all_items()`) and testing
each one against the key condition; on the generated hub-airline day (~165,000 items) one Query costs about
half a second, and a decision makes dozens. This module narrows the items a Query looks at, then hands
them to moto's own `Table.query`, so the answer (order, key conditions, filters, projections, Limit /
ExclusiveStartKey / LastEvaluatedKey, ScanIndexForward, Select/Count, validation errors) is moto's:

- base table: the candidates are `table.items[hash_key]` (moto already stores items by hash key);
- secondary index: the candidates are the items whose index hash-key attribute equals the queried value,
  from a per-table index {index name: {hash value: {primary key: item}}}, built on the first Query of an
  index and maintained by every write path (`Table.put_item`, `Table.delete_item`, the backend's
  `update_item`, which mutates an item in place; BatchWriteItem, TransactWriteItems and PartiQL go
  through these). A table object that moto replaces (transaction rollback, restore, reset) is a new
  object: its index is built afresh.

The candidates are a superset of the items moto would select, in moto's `all_items()` order; moto's query
re-applies every condition to them, so narrowing never changes an answer. `install()` / `uninstall()`
patch / restore moto (idempotent); a lock guards the indexes (moto's server answers in threads).

Answers are also *written* faster: moto serialises every response by walking botocore's output shape, one
Python call per member of every nested AttributeValue, which is most of the server's time for a read (about
8 of the 10 ms a BatchGetItem of checkpoints costs). moto's result already holds each AttributeValue in its
wire form ({"S": ...}, {"M": {...}}); `_serialize_type_structure` writes such a value in one recursive pass
that applies the same rules as moto's shape walk (the shape's members only, None members left out, strings
str(), blobs base64 as moto's `_base64`), so the JSON body is the same document
(tests/unit/test_fastdynamo.py compares the two on every attribute type).

Items are *built* faster and *sized* as DynamoDB sizes them: moto's `Item` checks the item limit in its
attribute dict's `__setitem__`, adding up the sizes of every attribute already in the item at each insert, so
building an item of n attributes sized n(n+1)/2 of them: `_new_item` sizes each attribute once. The size is
DynamoDB's documented one (`item_size`: numbers by significant digits, 3 bytes per list or map and 1 per
element) against its 400 KB = 409,600 bytes, where moto sized numbers by their text, lists and maps with no
overhead, and refused items over 405,000 bytes that DynamoDB stores (tests/conformance/test_item_size.py).
The error is moto's `ItemSizeTooLarge` (UpdateItem: "Item size to update has exceeded ...").

Expressions that DynamoDB refuses are refused as it refuses them: a ConditionExpression or FilterExpression
with a syntax error, or naming an `#name` or `:value` the request does not define, is a ValidationException
(HTTP 400) "Invalid ConditionExpression: An expression attribute value used in expression is not defined;
attribute value: :v" (or "... attribute name used in the document path ...", "... Syntax error; ..."). moto
let the parser's KeyError or ValueError through, which its server answers as HTTP 500 InternalFailure, and
clients retry a 500 before failing with the wrong error (tests/conformance/test_expressions.py).

`load_items_direct()` is an optional fast loader for the embedded stack: it writes items straight into the
moto backend's table (same validation and storage as PutItem, without the HTTP/JSON round trip).
"""

from __future__ import annotations

import base64
import threading
import weakref
from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from skymarshal_local.collector import collector_paused

_LOCK = threading.RLock()
_STATE: dict[int, _TableState] = {}  # id(table) -> its secondary-index buckets
_ORIGINAL: dict[str, Any] = {}  # what install() replaced, for uninstall()
_STATS = {"narrowed": 0, "fallback": 0, "builds": 0}


class _TableState:
    """Buckets of one table: {index name: (hash attribute, {hash value: {(hash, range): item}})}."""

    __slots__ = ("indexes", "ref", "where")

    def __init__(self, table: Any) -> None:
        key = id(table)
        self.ref = weakref.ref(table, lambda _ref: _STATE.pop(key, None))
        self.indexes: dict[str, tuple[str, dict[Any, dict[Any, Any]]]] = {}
        # {index name: {(hash, range): bucket key}}: where each item sits, to move it when it changes
        self.where: dict[str, dict[Any, Any]] = {}


_UNHASHABLE = object()  # bucket of items whose index hash value cannot be hashed (always candidates)


def _state(table: Any, create: bool) -> _TableState | None:
    state = _STATE.get(id(table))
    if state is not None and state.ref() is not table:  # id reused by a new object
        _STATE.pop(id(table), None)
        state = None
    if state is None and create:
        state = _STATE[id(table)] = _TableState(table)
    return state


def _bucket_key(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return _UNHASHABLE
    return value


def _iter_items(table: Any) -> Iterable[Any]:
    if table.range_key_attr:
        for by_range in list(table.items.values()):
            yield from list(by_range.values())
    else:
        yield from list(table.items.values())


def _index_hash_attr(table: Any, index_name: str) -> str | None:
    for index in table.all_indexes():
        if index.name == index_name:
            hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
            return hashes[0] if hashes else None
    return None


def _build(table: Any, state: _TableState, index_name: str, attr: str) -> dict[Any, dict[Any, Any]]:
    buckets: dict[Any, dict[Any, Any]] = {}
    where: dict[Any, Any] = {}
    for item in _iter_items(table):
        value = item.attrs.get(attr)
        if value is None:
            continue
        pk = (item.hash_key, item.range_key)
        key = _bucket_key(value)
        buckets.setdefault(key, {})[pk] = item
        where[pk] = key
    state.indexes[index_name] = (attr, buckets)
    state.where[index_name] = where
    _STATS["builds"] += 1
    return buckets


def _current(table: Any, hash_key: Any, range_key: Any) -> Any:
    """The item stored under a primary key, or None (never creates a defaultdict entry)."""
    entry = table.items.get(hash_key)
    if entry is None:
        return None
    if table.range_key_attr:
        return entry.get(range_key)
    return entry


def _touch(table: Any, hash_key: Any, range_key: Any) -> None:
    """Re-file the item at this primary key in every built index of its table (after a write)."""
    state = _state(table, create=False)
    if state is None or not state.indexes:
        return
    pk = (hash_key, range_key if table.range_key_attr else None)
    item = _current(table, hash_key, range_key)
    for index_name, (attr, buckets) in state.indexes.items():
        where = state.where[index_name]
        old = where.pop(pk, None)
        if old is not None:
            bucket = buckets.get(old)
            if bucket is not None:
                bucket.pop(pk, None)
                if not bucket:
                    del buckets[old]
        if item is not None:
            value = item.attrs.get(attr)
            if value is not None:
                key = _bucket_key(value)
                buckets.setdefault(key, {})[pk] = item
                where[pk] = key


def _forget(table: Any) -> None:
    with _LOCK:
        state = _state(table, create=False)
        if state is not None:
            _STATE.pop(id(table), None)


def _all_items_order(items: list[Any]) -> list[Any]:
    # exactly Table.all_items()'s order
    return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


def _candidates(table: Any, hash_key: Any, index_name: str | None, hash_key_conditions: Any) -> list[Any] | None:
    """A superset of the items moto's query would select, in all_items() order; None: let moto scan."""
    if not index_name:
        if hash_key is None:
            return None
        with _LOCK:
            entry = table.items.get(hash_key)
            if entry is None:
                return []
            found = list(entry.values()) if table.range_key_attr else [entry]
        return _all_items_order(found)
    attr = _index_hash_attr(table, index_name)
    if attr is None:
        return None  # unknown index or no hash key: moto raises its own error
    wanted = [value for name, value in (hash_key_conditions or []) if name == attr]
    if not wanted:
        return None
    value = wanted[0]
    with _LOCK:
        state = _state(table, create=True)
        assert state is not None
        built = state.indexes.get(index_name)
        # built on the first query of the index (or again if the index was redefined)
        buckets = _build(table, state, index_name, attr) if built is None or built[0] != attr else built[1]
        key = _bucket_key(value)
        found = list(buckets.get(key, {}).values()) if key is not _UNHASHABLE else []
        found.extend(buckets.get(_UNHASHABLE, {}).values())
    return _all_items_order(found)


class _Subset:
    """The table as moto's query sees it, with all_items() narrowed to the candidates."""

    __slots__ = ("_items", "_table")

    def __init__(self, table: Any, items: list[Any]) -> None:
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_items", items)

    def all_items(self) -> list[Any]:
        return list(self._items)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)


# --------------------------------------------------------------------------------------------------
# Patches
# --------------------------------------------------------------------------------------------------
def _query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    original = _ORIGINAL["query"]
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    conditions = kwargs.get("hash_key_conditions")
    if conditions is None and len(args) > 9:
        conditions = args[9]
    found = _candidates(self, hash_key, index_name, conditions)
    if found is None:
        _STATS["fallback"] += 1
        return original(self, hash_key, *args, **kwargs)
    _STATS["narrowed"] += 1
    return original(_Subset(self, found), hash_key, *args, **kwargs)


def _put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
    with _LOCK:
        item = _ORIGINAL["put_item"](self, *args, **kwargs)
        _touch(self, item.hash_key, item.range_key)
        return item


def _delete_item(self: Any, hash_key: Any, range_key: Any) -> Any:
    with _LOCK:
        item = _ORIGINAL["delete_item"](self, hash_key, range_key)
        if item is not None:
            _touch(self, item.hash_key, item.range_key)
        return item


def _update_item(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
    with _LOCK:
        try:
            item = _ORIGINAL["update_item"](self, table_name, *args, **kwargs)
        except BaseException:
            # the item may be half-updated in place (or created): rebuild this table's indexes on demand
            table = self.tables.get(table_name)
            if table is not None:
                _forget(table)
            raise
        _touch(self.get_table(table_name), item.hash_key, item.range_key)
        return item


def _delete_table(self: Any, name: str) -> Any:
    table = _ORIGINAL["delete_table"](self, name)
    _forget(table)
    return table


def _wire_value(serializer: Any, value: Any, members: frozenset[str]) -> dict[str, Any]:
    """One AttributeValue in its JSON wire form, as moto's shape walk writes it (see the module docstring)."""
    out: dict[str, Any] = {}
    for kind, inner in value.items():
        if inner is None or kind not in members:
            continue
        if kind == "M":
            out[kind] = {name: _wire_value(serializer, v, members) for name, v in inner.items() if v is not None}
        elif kind == "L":
            out[kind] = [v if v is None else _wire_value(serializer, v, members) for v in inner]
        elif kind == "B":
            out[kind] = serializer._base64(inner)
        elif kind == "BS":
            out[kind] = [serializer._base64(v) for v in inner]
        elif kind in ("S", "N"):
            out[kind] = inner if type(inner) is str else _as_string(inner)
        elif kind in ("SS", "NS"):
            out[kind] = [v if type(v) is str else _as_string(v) for v in inner]
        else:  # BOOL, NULL: booleans, written as they are
            out[kind] = inner
    return out


def _as_string(value: Any) -> Any:
    """moto's JSON string serialisation (an Enum's value; None, {} and [] as they are)."""
    from enum import Enum

    if isinstance(value, Enum):
        value = value.value
    return str(value) if value not in [None, {}, []] else value


def _serialize_type_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
    if key and shape.name == "AttributeValue" and isinstance(value, dict) \
            and self.operation_model.service_model.service_name in ("dynamodb", "dynamodbstreams"):
        self._default_serialize(serialized, _wire_value(self, value, frozenset(shape.members)), shape, key)
        return
    _ORIGINAL["serialize_structure"](self, serialized, value, shape, key)


# DynamoDB's item size, by the rules of "DynamoDB item sizes and formats"
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html), against its
# 400 KB limit, KB being 1,024 bytes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-items).
# moto sizes numbers by their text, lists and maps without their overhead, and refuses items over 405,000 bytes
# (its own estimate of the limit): the embedded stack refused items of 405,001-409,600 bytes that DynamoDB stores.
ITEM_SIZE_LIMIT = 400 * 1024


def value_size(value: Any) -> int:
    """The size of one attribute value (a moto DynamoType, or its {type: value} form inside a map)."""
    if hasattr(value, "type"):
        kind, raw = value.type, value.value
    elif isinstance(value, dict) and len(value) == 1:
        kind, raw = next(iter(value.items()))
    else:  # not an AttributeValue: sized as moto sizes it, by its text
        return len(str(value).encode())
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        digits = str(raw).lstrip("+-").replace(".", "").lstrip("0")
        mantissa = digits.split("e")[0].split("E")[0].rstrip("0") or "0"
        return (len(mantissa) + 1) // 2 + 1  # 1 byte per two significant digits, plus 1
    if kind == "B":
        return len(raw) if isinstance(raw, bytes) else len(base64.b64decode(raw))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in raw)  # 3 bytes per list, 1 per element
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in raw.items())
    return sum(value_size({kind[0]: v}) for v in raw)  # SS, NS, BS: their members


def item_size(attrs: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in attrs.items())


def _new_item(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
    """moto's `Item.__init__`, with the item sized once, as DynamoDB sizes it (above)."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict

    self.hash_key, self.range_key = hash_key, range_key
    typed = {key: DynamoType(value) for key, value in attrs.items()}
    if item_size(typed) > ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = LimitedSizeDict()  # later writes to the item (UpdateItem) are checked by _set_attribute
    dict.update(self.attrs, typed)


def _set_attribute(self: Any, key: str, value: Any) -> None:
    """moto's `LimitedSizeDict.__setitem__` (an attribute set on a stored item: UpdateItem), against the same
    size and limit; moto answers its ItemSizeTooLarge as "Item size to update has exceeded ..."."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge

    if item_size({**self, key: value}) > ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    dict.__setitem__(self, key, value)


def _item_size(self: Any) -> int:
    """moto's `Item.size()` (the 1 MB page of a Query or Scan, consumed capacity), as DynamoDB sizes it."""
    return item_size(self.attrs)


# The expression a request's parser reads, by the DynamoDB action answering it: DynamoDB names it in the error
# ("Invalid ConditionExpression: ...", "Invalid FilterExpression: ..."); moto's parser does not know it.
_EXPRESSION = threading.local()
_EXPRESSION_OF = {"put_item": "ConditionExpression", "update_item": "ConditionExpression",
                  "delete_item": "ConditionExpression", "transact_write_items": "ConditionExpression",
                  "query": "FilterExpression", "scan": "FilterExpression"}


def _answering(action: str, method: Any) -> Any:
    def answer(self: Any) -> Any:
        _EXPRESSION.kind = _EXPRESSION_OF[action]
        try:
            return method(self)
        finally:
            _EXPRESSION.kind = None

    answer.__wrapped__ = method  # type: ignore[attr-defined]
    return answer


def _invalid(problem: str) -> Exception:
    from moto.dynamodb.exceptions import MockValidationException

    return MockValidationException(f"Invalid {getattr(_EXPRESSION, 'kind', None) or 'ConditionExpression'}: {problem}")


def _parse(self: Any) -> Any:
    """moto's `ConditionExpressionParser.parse`, its syntax errors answered as DynamoDB answers them: a
    ValidationException (HTTP 400), where moto let the ValueError through (HTTP 500, which clients retry)."""
    try:
        return _ORIGINAL["parse"](self)
    except ValueError as exc:
        raise _invalid(f"Syntax error; {exc}") from exc


def _defined(placeholders: dict[str, Any] | None, name: str, what: str) -> Any:
    """The value of an `#name` or `:value` placeholder, or DynamoDB's refusal when the request defines none."""
    if name not in (placeholders or {}):
        raise _invalid(f"An expression attribute {what}; attribute {what.split()[0]}: {name}")
    return placeholders[name]  # type: ignore[index]


def _value_of(self: Any, name: str) -> Any:
    return _defined(self.expression_attribute_values, name, "value used in expression is not defined")


def _name_of(self: Any, name: str) -> Any:
    return _defined(self.expression_attribute_names, name, "name used in the document path is not defined")


def installed() -> bool:
    return bool(_ORIGINAL)


def install() -> None:
    """Patch moto's DynamoDB (idempotent)."""
    from moto.core.serialize import JSONSerializer  # on use: moto is slow to import
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    with _LOCK:
        if _ORIGINAL:
            return
        _ORIGINAL.update(
            parse=ConditionExpressionParser.parse,
            value_of=ConditionExpressionParser._lookup_expression_attribute_value,
            name_of=ConditionExpressionParser._lookup_expression_attribute_name,
            **{f"answer_{action}": getattr(DynamoHandler, action) for action in _EXPRESSION_OF},
            new_item=Item.__init__,
            item_size=Item.size,
            set_attribute=LimitedSizeDict.__setitem__,
            query=Table.query,
            put_item=Table.put_item,
            delete_item=Table.delete_item,
            update_item=DynamoDBBackend.update_item,
            delete_table=DynamoDBBackend.delete_table,
            serialize_structure=JSONSerializer._serialize_type_structure,  # BaseJSONSerializer's
        )
        _STATE.clear()
        Table.query = _query  # type: ignore[method-assign]
        Table.put_item = _put_item  # type: ignore[method-assign]
        Table.delete_item = _delete_item  # type: ignore[method-assign]
        DynamoDBBackend.update_item = _update_item  # type: ignore[method-assign]
        DynamoDBBackend.delete_table = _delete_table  # type: ignore[method-assign]
        JSONSerializer._serialize_type_structure = _serialize_type_structure  # type: ignore[method-assign]
        Item.__init__ = _new_item  # type: ignore[method-assign]
        Item.size = _item_size  # type: ignore[method-assign]
        LimitedSizeDict.__setitem__ = _set_attribute  # type: ignore[method-assign,assignment]
        ConditionExpressionParser.parse = _parse  # type: ignore[method-assign]
        ConditionExpressionParser._lookup_expression_attribute_value = _value_of  # type: ignore[method-assign]
        ConditionExpressionParser._lookup_expression_attribute_name = _name_of  # type: ignore[method-assign]
        for action in _EXPRESSION_OF:
            setattr(DynamoHandler, action, _answering(action, _ORIGINAL[f"answer_{action}"]))


def uninstall() -> None:
    """Restore moto's own methods and drop the indexes."""
    from moto.core.serialize import JSONSerializer  # on use: moto is slow to import
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    with _LOCK:
        if not _ORIGINAL:
            return
        ConditionExpressionParser.parse = _ORIGINAL["parse"]  # type: ignore[method-assign]
        ConditionExpressionParser._lookup_expression_attribute_value = _ORIGINAL["value_of"]  # type: ignore
        ConditionExpressionParser._lookup_expression_attribute_name = _ORIGINAL["name_of"]  # type: ignore
        for action in _EXPRESSION_OF:
            setattr(DynamoHandler, action, _ORIGINAL[f"answer_{action}"])
        Item.__init__ = _ORIGINAL["new_item"]  # type: ignore[method-assign]
        Item.size = _ORIGINAL["item_size"]  # type: ignore[method-assign]
        LimitedSizeDict.__setitem__ = _ORIGINAL["set_attribute"]  # type: ignore[method-assign]
        Table.query = _ORIGINAL["query"]  # type: ignore[method-assign]
        Table.put_item = _ORIGINAL["put_item"]  # type: ignore[method-assign]
        Table.delete_item = _ORIGINAL["delete_item"]  # type: ignore[method-assign]
        DynamoDBBackend.update_item = _ORIGINAL["update_item"]  # type: ignore[method-assign]
        DynamoDBBackend.delete_table = _ORIGINAL["delete_table"]  # type: ignore[method-assign]
        del JSONSerializer._serialize_type_structure  # BaseJSONSerializer's, inherited, again
        _ORIGINAL.clear()
        _STATE.clear()


def stats() -> dict[str, int]:
    return dict(_STATS)


# --------------------------------------------------------------------------------------------------
# Fast local loader (embedded stack only)
# --------------------------------------------------------------------------------------------------
def load_items_direct(
    table_name: str, items: Iterable[dict[str, Any]], *, account_id: str = "123456789012", region: str = "us-east-1"
) -> int:
    """Put plain-Python items straight into the in-process moto table (what BatchWriteItem's PutRequest does,
    without boto3 serialisation, HTTP and JSON); returns the count. Only for a moto running in this process.

    PutItem's checks that matter for a load are kept, once per item rather than once per attribute: the key
    attributes present, of the key schema's type and within the key size limits, the item within DynamoDB's
    400 KB (an item that could be near a limit goes through moto's own PutItem, its checks and errors). Each
    item overwrites the one with its key; this module's secondary-index buckets are rebuilt on the next Query.
    A table with a stream goes through moto's PutItem (its stream records)."""
    from moto.dynamodb.models import dynamodb_backends  # on use: moto is slow to import
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    table = dynamodb_backends[account_id][region].get_table(table_name)
    serialize = TypeSerializer().serialize
    hash_attr, range_attr = table.hash_key_attr, table.range_key_attr
    key_types = {hash_attr: table.hash_key_type, range_attr: table.range_key_type}
    new_type = DynamoType.__new__

    def scalar(kind: str, value: str) -> Any:
        typed = new_type(DynamoType)
        typed.type, typed.value = kind, value
        return typed

    with collector_paused(keep=True):  # a day: ~165,000 items, ~800,000 objects that live with the table
        count = 0
        try:
            for item in items:
                attrs: dict[str, Any] = {}
                chars = 0  # an upper bound of the item's size is 4 bytes per character (UTF-8)
                plain = True
                for name, value in item.items():
                    kind = type(value)
                    if kind is str:
                        attrs[name] = scalar("S", value)
                        chars += len(name) + len(value)
                    elif kind is int:
                        text = str(value)
                        attrs[name] = scalar("N", text)
                        chars += len(name) + len(text)
                    else:
                        plain = False
                        break
                hash_value, range_value = attrs.get(hash_attr), attrs.get(range_attr) if range_attr else None
                if (not plain or table.stream_shard is not None or chars * 4 > ITEM_SIZE_LIMIT or hash_value is None
                        or (range_attr is not None and range_value is None)
                        or any(attrs[k].type != t for k, t in key_types.items() if k is not None)
                        or len(hash_value.value) * 4 > 2048
                        or (range_value is not None and len(range_value.value) * 4 > 1024)):
                    table.put_item({name: serialize(value) for name, value in item.items()})
                    count += 1
                    continue
                stored = Item.__new__(Item)
                stored.hash_key, stored.range_key = hash_value, range_value
                stored.attrs = LimitedSizeDict(attrs)
                with _LOCK:
                    if range_value is not None:
                        table.items[hash_value][range_value] = stored
                    else:
                        table.items[hash_value] = stored
                count += 1
        finally:
            _forget(table)
    return count


def clear_items_direct(table_name: str, *, account_id: str = "123456789012", region: str = "us-east-1") -> int:
    """Delete every item of the in-process moto table (what DeleteItem does per key, without the scan and the
    HTTP round trips); returns the count. Only for a moto running in this process."""
    from moto.dynamodb.models import dynamodb_backends  # on use: moto is slow to import

    table = dynamodb_backends[account_id][region].get_table(table_name)
    keys = [(item.hash_key, item.range_key) for item in list(_iter_items(table))]
    for hash_key, range_key in keys:
        table.delete_item(hash_key, range_key)
    return len(keys)
