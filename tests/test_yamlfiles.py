"""OmegaConf on libyaml's C parser (sim.config.yamlfiles.use_libyaml_for_omegaconf) loads
every config exactly as OmegaConf's own pure-Python loader does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf, _utils

from sim.cli import CONF_DIR, compose_config
from sim.config.yamlfiles import use_libyaml_for_omegaconf

pytestmark = pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="no libyaml")


_PYTHON = getattr(_utils.get_yaml_loader, "python_loader", _utils.get_yaml_loader)


def _python_loader():
    return _PYTHON()


def _both(text: str):
    """(pure-Python result, C result) of loading ``text`` as OmegaConf loads a file."""
    assert use_libyaml_for_omegaconf()
    c_loader = _utils.get_yaml_loader()
    assert issubclass(c_loader, yaml.CSafeLoader)
    return yaml.load(text, Loader=_python_loader()), yaml.load(text, Loader=c_loader)


def test_every_shipped_config_file_loads_the_same():
    files = sorted(Path(CONF_DIR).rglob("*.yaml"))
    assert len(files) > 20
    for f in files:
        py, c = _both(f.read_text(encoding="utf-8"))
        assert py == c, f
        assert repr(py) == repr(c), f  # the same types too (1 vs 1.0, "1e3" vs 1000.0)


def test_scalars_resolve_as_omegaconf_resolves_them():
    text = (
        "a: 1e3\nb: 1_000\nc: .5\nd: 2026-12-01\ne: ${x.y}\nf: .inf\ng: -.NaN\nh: 0x1F\n"
        "i: yes\nj: ~\nk: '1'\nl: 1:30\nm: 12:30:00.5\n"
    )
    py, c = _both(text)
    assert repr(py) == repr(c)
    assert c["a"] == 1000.0 and isinstance(c["a"], float)  # YAML 1.2 floats, as OmegaConf
    assert c["d"] == "2026-12-01"  # no timestamps: OmegaConf keeps dates as strings


def test_a_key_given_twice_is_still_an_error():
    _both("a: 1\n")
    with pytest.raises(yaml.constructor.ConstructorError, match="duplicate key a"):
        OmegaConf.create("a: 1\nb: 2\na: 3\n")


def test_python_tags_stay_refused_except_omegaconf_paths():
    py, c = _both("p: !!python/object/apply:pathlib.Path ['/tmp', 'x']\n")
    assert py == c == {"p": Path("/tmp/x")}
    with pytest.raises(yaml.constructor.ConstructorError):
        OmegaConf.create("p: !!python/object/apply:os.system ['true']\n")


def test_composed_configs_are_the_same_with_either_parser(monkeypatch):
    overrides = [
        [],
        ["scenario=storm"],
        ["scenario=flood_evacuation", "district=fengdu"],
        ["experiment=compare"],
    ]
    fast = [OmegaConf.to_yaml(compose_config(o)) for o in overrides]
    monkeypatch.setattr(_utils, "get_yaml_loader", _python_loader)
    monkeypatch.setattr("sim.config.yamlfiles.use_libyaml_for_omegaconf", lambda: False)
    slow = [OmegaConf.to_yaml(compose_config(o)) for o in overrides]
    assert fast == slow
