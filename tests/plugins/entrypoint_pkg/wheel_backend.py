"""A minimal PEP 517 backend: a pure-Python wheel of `wxa_ping_plugin` with its entry point (tests only)."""

import base64
import hashlib
import zipfile
from pathlib import Path

NAME, VERSION = "wxa_ping_plugin", "0.1.0"
DIST_INFO = f"{NAME}-{VERSION}.dist-info"
HERE = Path(__file__).parent
METADATA = f"Metadata-Version: 2.1\nName: wxa-ping-plugin\nVersion: {VERSION}\n"
ENTRY_POINTS = "[wechat_admin.plugins]\nping = wxa_ping_plugin\n"
WHEEL = "Wheel-Version: 1.0\nGenerator: wheel_backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = {f"{NAME}/{p.name}": p.read_bytes() for p in sorted((HERE / NAME).glob("*.py"))}
    files.update({f"{DIST_INFO}/METADATA": METADATA.encode(), f"{DIST_INFO}/WHEEL": WHEEL.encode(),
                  f"{DIST_INFO}/entry_points.txt": ENTRY_POINTS.encode()})
    record = [_record_line(name, data) for name, data in files.items()] + [f"{DIST_INFO}/RECORD,,"]
    files[f"{DIST_INFO}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel_name = f"{NAME}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / wheel_name, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel_name
