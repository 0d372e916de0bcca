"""facecues: which face attributes a face-recognition network encodes, and where."""

__version__ = "0.2.0"
