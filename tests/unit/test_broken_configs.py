"""Twenty-odd broken configs: each fails in `load_config` (before any Ray) with the key's dotted path
and the file's name. `tests/integration/test_check.py` runs the same list through `steplabel check`."""
from __future__ import annotations

import pytest

from steplabel.pipeline.config import ConfigError, load_config
from tests.support.broken_configs import BROKEN


@pytest.mark.parametrize("name,text,path", BROKEN, ids=[b[0] for b in BROKEN])
def test_each_broken_config_fails_in_load_config_with_its_dotted_path(tmp_path, name, text, path):
    file = tmp_path / f"{name}.yaml"
    file.write_text(text + "\n")
    with pytest.raises(ConfigError) as err:
        load_config(file)
    message = str(err.value)
    assert f"{name}.yaml" in message and path in message, message


def test_the_bundled_configs_still_load():
    from steplabel.pipeline.config import CONFIG_DIR

    for file in sorted(CONFIG_DIR.glob("*.yaml")):
        load_config(file)
