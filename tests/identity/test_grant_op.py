"""The local API's `device.grant`: the owner certifies a device that proved the code and leaves the grant
in a private file of the home for `device invite` to carry; anything but a key in hex, or a file it did not
make, is refused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from reliance.app import linking
from reliance.app.devices import decode_grant, device_rows
from reliance.app.workspace import Workspace
from reliance.localapi.ops import LocalApi
from reliance.localapi.protocol import ApiError


def test_the_grant_is_left_in_a_private_file_read_once(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "laptop", "Alice")
    key = linking.start_join(tmp_path / "phone", None)
    result = LocalApi(ws).call("device.grant", {"name": "phone", "key": key.hex()})
    path = ws.home / linking.GRANTS_DIR / result["grant_file"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    grant = decode_grant(linking.take_grant_file(ws.home, result["grant_file"]))
    assert grant.device == key and not path.exists()
    assert "phone" in {row.name for row in device_rows(ws)}


@pytest.mark.parametrize("key", ["", "zz" * 32, "AB" * 32, "ab" * 31])
def test_a_key_that_is_not_64_hex_digits_is_refused(tmp_path: Path, key: str) -> None:
    ws = Workspace.create(tmp_path / "laptop", "Alice")
    with pytest.raises(ApiError):
        LocalApi(ws).call("device.grant", {"name": "phone", "key": key})


@pytest.mark.parametrize("name", ["../profile.json", "link-grant-../../x", "link-grant-" + "g" * 16, "x"])
def test_only_a_grant_file_it_could_have_made_is_read(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError):
        linking.take_grant_file(tmp_path, name)
