"""``make lab`` listens on loopback and passes ``--allow-root`` exactly when run as root.

JupyterLab refuses to start as root without that flag, which stopped ``make lab`` at once
in a container or on a fresh cloud machine. The flags are read from ``make -n lab`` with the
user id overridden; the browser test (tests/test_lab_browser.py) then starts JupyterLab from
the same command line as the real user (root on CI), which shows the flags are accepted.
"""

from __future__ import annotations

from lab_command import lab_command


def test_lab_as_root_passes_allow_root_and_binds_loopback() -> None:
    command = lab_command(LAB_UID="0")
    assert command[0].endswith("jupyter") and command[1] == "lab"
    assert "--allow-root" in command
    assert "--ip=127.0.0.1" in command
    assert "--notebook-dir=notebooks" in command


def test_lab_as_a_user_has_no_allow_root() -> None:
    command = lab_command(LAB_UID="1000")
    assert "--allow-root" not in command
    assert "--ip=127.0.0.1" in command


def test_lab_ip_can_be_widened_on_purpose() -> None:
    assert "--ip=0.0.0.0" in lab_command(LAB_UID="1000", LAB_IP="0.0.0.0")
