"""SkyMarshal: airline disruption recovery. This package is the code that runs inside AWS Lambda."""

__version__ = "0.1.0"
