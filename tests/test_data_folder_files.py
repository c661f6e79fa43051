"""A data folder is read for regular files inside it only (SPEC §3.7): a FIFO or a link
to /dev/zero would hang or fill memory, and a link out of the folder would read a file
the user never gave; the message names the file and never echoes its content."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import slagraph
from slagraph.errors import SlaDataError

SPEC = Path(__file__).parent.parent / "examples" / "spec"


def _folder(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(SPEC / "data", data)
    return data


def _evaluate(data: Path) -> None:
    slagraph.load(SPEC / "model.sla").evaluate(data)


def test_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    data = _folder(tmp_path)
    (data / "tickets.csv").unlink()
    os.mkfifo(data / "tickets.csv")
    with pytest.raises(SlaDataError) as error:
        _evaluate(data)
    assert str(error.value) == (
        f"data error: stream 'tickets': {data / 'tickets.csv'} is not a regular file "
        "(a FIFO, device or folder)"
    )


def test_link_to_dev_zero_is_refused(tmp_path: Path) -> None:
    data = _folder(tmp_path)
    (data / "tickets.csv").unlink()
    (data / "tickets.csv").symlink_to("/dev/zero")
    with pytest.raises(SlaDataError, match="outside the data folder"):
        _evaluate(data)


def test_link_out_of_the_folder_is_refused_and_its_content_not_shown(tmp_path: Path) -> None:
    data = _folder(tmp_path)
    secret = tmp_path / "secret.csv"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    (data / "tickets.csv").unlink()
    (data / "tickets.csv").symlink_to(secret)
    with pytest.raises(SlaDataError) as error:
        _evaluate(data)
    message = str(error.value)
    assert "root:x" not in message
    assert message == (
        f"data error: stream 'tickets': {data / 'tickets.csv'} is a link to {secret}, "
        f"outside the data folder {data}; copy the file into the folder "
        "(links that leave it are not followed)"
    )


def test_link_inside_the_folder_is_read(tmp_path: Path) -> None:
    data = _folder(tmp_path)
    (data / "raw").mkdir()
    (data / "tickets.csv").rename(data / "raw" / "tickets.csv")
    (data / "tickets.csv").symlink_to(data / "raw" / "tickets.csv")
    expected = slagraph.load(SPEC / "model.sla").evaluate(SPEC / "data").rows()
    assert slagraph.load(SPEC / "model.sla").evaluate(data).rows() == expected
