"""The WeChat session pickle (itchat.pkl) and the puid map: written 0600 in a 0700 folder, and never unpickled
from a file someone else could have written or from outside the instance's session folder."""

from __future__ import annotations

import os
import pickle
import stat

import pytest

from drivers.itchat import compat as wx_compat
from drivers.itchat.connection import SessionFiles
from drivers.itchat.puid_map import IndexedPuidMap
from drivers.itchat.session_file import UntrustedSessionFile, install, protect, read_pickle, write_pickle

RAN: list[str] = []


class Payload:
    """Unpickling this runs code: what a planted session file would do."""

    def __reduce__(self):
        return (RAN.append, ("unpickled",))


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def folder(tmp_path):
    session = tmp_path / "instance" / "wechat" / "default"
    protect(session)
    return session


def test_pickles_are_written_private_and_atomically(folder):
    path = folder / "itchat.pkl"
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    write_pickle(path, {"a": 1})
    assert mode(path) == 0o600 and mode(folder) == 0o700
    assert read_pickle(path, registered=True) == {"a": 1}
    assert sorted(p.name for p in folder.iterdir()) == ["itchat.pkl"]


def test_protect_tightens_an_existing_folder(tmp_path):
    session = tmp_path / "s"
    session.mkdir(mode=0o755)
    (session / "itchat.pkl").write_bytes(b"x")
    os.chmod(session / "itchat.pkl", 0o666)
    protect(session)
    assert mode(session) == 0o700 and mode(session / "itchat.pkl") == 0o600


@pytest.mark.parametrize("plant", ["symlink", "group_writable", "folder_writable", "unregistered", "missing"])
def test_untrusted_session_files_are_not_unpickled(folder, tmp_path, plant):
    RAN.clear()
    path = folder / "itchat.pkl"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    planted = elsewhere / "itchat.pkl"
    planted.write_bytes(pickle.dumps(Payload()))
    os.chmod(planted, 0o600)
    if plant == "symlink":
        path.symlink_to(planted)
    elif plant == "group_writable":
        path.write_bytes(pickle.dumps(Payload()))
        os.chmod(path, 0o620)
    elif plant == "folder_writable":
        path.write_bytes(pickle.dumps(Payload()))
        os.chmod(path, 0o600)
        os.chmod(folder, 0o777)
    elif plant == "unregistered":
        path = planted
    with pytest.raises(UntrustedSessionFile):
        read_pickle(path, registered=True)
    assert RAN == []


def test_itchat_hot_reload_goes_through_the_checks(folder, tmp_path):
    wx_compat.apply()
    install()
    import itchat

    RAN.clear()
    core = itchat.new_instance()
    core.loginInfo = {"url": "http://wechat.invalid"}
    core.dump_login_status(str(folder / "itchat.pkl"))
    assert mode(folder / "itchat.pkl") == 0o600
    assert pickle.loads((folder / "itchat.pkl").read_bytes())["loginInfo"] == {"url": "http://wechat.invalid"}

    planted = tmp_path / "planted.pkl"
    planted.write_bytes(pickle.dumps(Payload()))
    os.chmod(planted, 0o600)
    refused = core.load_login_status(str(planted))
    assert refused["BaseResponse"]["Ret"] == -1002 and RAN == []


@pytest.mark.parametrize("account", ["../outside", "..", "", "a/b", ".", "/etc"])
def test_the_session_folder_stays_in_the_instance(tmp_path, account):
    with pytest.raises(ValueError):
        SessionFiles.for_account(tmp_path, account)


def test_session_folder_of_a_plain_account_name(tmp_path):
    assert SessionFiles.for_account(tmp_path, "default").folder == (tmp_path / "wechat" / "default").resolve()


def test_the_puid_map_is_private_and_refuses_planted_files(folder):
    RAN.clear()
    first = IndexedPuidMap(str(folder / "puid.pkl"))
    first.captions[("nick", 1, "", "")] = "abc12345"
    first.dump()
    assert mode(folder / "puid.pkl") == 0o600
    assert IndexedPuidMap(str(folder / "puid.pkl")).captions == first.captions
    (folder / "puid.pkl").write_bytes(pickle.dumps(Payload()))
    os.chmod(folder / "puid.pkl", 0o666)
    assert not IndexedPuidMap(str(folder / "puid.pkl")).captions and RAN == []
