"""Media web WeChat would refuse is refused before sending, with the reason (wechat/sending/media_limits.py)."""

from __future__ import annotations

import io

from wechat.sending.media_limits import MB, send_refusal


def test_the_web_clients_limits():
    assert send_refusal("file", 25 * MB) is None
    assert "webwxcheckupload" in send_refusal("file", 25 * MB + 1, "大.zip")
    assert send_refusal("file", 26 * MB, checkupload=True) is None  # a driver that makes the check may send it
    assert "at most 100 MB" in send_refusal("file", 101 * MB, checkupload=True)
    assert "videos of at most 20 MB" in send_refusal("video", 21 * MB)
    assert send_refusal("video", 20 * MB) is None and send_refusal("image", 2 * MB) is None


def test_a_job_with_a_file_above_25_mb_is_refused_with_the_reason(client, api_token):
    headers = {"Authorization": f"Bearer {api_token}"}
    data = b"PK\x03\x04" + bytes(26 * MB)  # a zip by its magic bytes: sent as a file
    uploaded = client.post("/api/uploads", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data), "资料.zip")})
    assert uploaded.status_code == 201, uploaded.json
    upload_id = uploaded.json["uploads"][0]["id"]
    response = client.post("/api/messages/send", headers=headers,
                           json={"to": ["someone"], "text": "", "files": [upload_id]})
    assert response.status_code == 400 and "webwxcheckupload" in response.json["error"], response.json
