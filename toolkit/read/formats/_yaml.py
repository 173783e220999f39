"""The YAML side of cassettes: a safe loader that also reads the few harmless Python tags old cassettes hold,
and the dumper :func:`toolkit.scrub` writes them back with (through :class:`.vcr.VcrReader`).

Imported when a cassette is first read or scrubbed, so that loading JSON Lines does not pay for PyYAML.
"""

from __future__ import annotations

import yaml

YAMLError = yaml.YAMLError
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class CassetteLoader(_BaseLoader):
    """A safe YAML loader that also reads the few harmless Python tags old cassettes hold."""


def _python_str(loader, node):
    return loader.construct_scalar(node)


def _python_tuple(loader, node):
    return loader.construct_sequence(node)


def _bytes_io(loader, node):
    # an old cassette's file-like request body: keep only its bytes
    state = loader.construct_mapping(node, deep=True).get("state") or (b"",)
    data = state[0] if state else b""
    return data.encode("utf-8") if isinstance(data, str) else bytes(data or b"")


def _python_object(loader, suffix, node):
    # vcrpy before 1.0 pickled its Request (a mapping) and frozensets of header tuples: keep the plain data
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        items = loader.construct_sequence(node, deep=True)
        return items[0] if len(items) == 1 and isinstance(items[0], list) else items
    return loader.construct_scalar(node)


CassetteLoader.add_multi_constructor("tag:yaml.org,2002:python/object:vcr.", _python_object)
CassetteLoader.add_multi_constructor("tag:yaml.org,2002:python/object/apply:__builtin__.frozenset", _python_object)
CassetteLoader.add_multi_constructor("tag:yaml.org,2002:python/object/apply:builtins.frozenset", _python_object)

for _tag, _fn in (("python/str", _python_str), ("python/unicode", _python_str), ("python/tuple", _python_tuple),
                  ("python/object/new:_io.BytesIO", _bytes_io)):
    CassetteLoader.add_constructor("tag:yaml.org,2002:" + _tag, _fn)


def load(data):
    """The document of a cassette's bytes (or stream), read with :class:`CassetteLoader`."""
    return yaml.load(data, Loader=CassetteLoader)


def dump(data) -> bytes:
    """``data`` as YAML, keys in their order."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False).encode("utf-8")
