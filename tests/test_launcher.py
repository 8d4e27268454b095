from libs.launcher import processes, read_dotenv


def test_dotenv_parsing(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text('# comment\n\nREDIS_URL="redis://x:1/0"\nexport WEB_PORT=9000\nBROKEN LINE\nEMPTY=\n')
    assert read_dotenv(env_file) == {"REDIS_URL": "redis://x:1/0", "WEB_PORT": "9000", "EMPTY": ""}
    assert read_dotenv(tmp_path / "missing") == {}


def test_embedded_redis_and_sandbox_by_default():
    assert processes({}) == ["redis", "web", "worker", "beat", "sandbox"]


def test_external_redis_and_real_wechat_start_neither():
    env = {"REDIS_URL": "redis://db:6379/0", "WECHAT_BASE_URL": "https://login.weixin.qq.com"}
    assert processes(env) == ["web", "worker", "beat"]


def test_padpro_on_the_sandbox_starts_the_sandbox_and_an_own_gateway_does_not():
    assert processes({"WECHAT_DRIVER": "padpro"})[-1] == "sandbox"
    assert processes({"WECHAT_DRIVER": "padpro", "WECHAT_BASE_URL": "https://login.weixin.qq.com"}) == \
        ["redis", "web", "worker", "beat"]
    assert processes({"WECHAT_DRIVER": "padpro", "PADPRO_BASE_URL": "http://10.0.0.5:8059"}) == \
        ["redis", "web", "worker", "beat"]


def procfile() -> dict[str, list[str]]:
    import shlex
    from pathlib import Path

    lines = (Path(__file__).resolve().parent.parent / "Procfile").read_text().splitlines()
    return {name: shlex.split(command.replace("${INSTANCE_PATH:-instance}", "instance"))
            for name, _, command in (line.partition(": ") for line in lines if line and not line.startswith("#"))}


def test_embedded_redis_and_sandbox_keep_their_secrets_in_the_instance_folder():
    from sandbox.__main__ import parse_args

    commands = procfile()
    assert commands["redis"][1:] == ["-m", "libs.embedded_redis", "--instance", "instance"]
    sandbox = commands["sandbox"]
    assert str(parse_args(sandbox[sandbox.index("sandbox") + 1:]).token_file) == "instance/sandbox_token"
