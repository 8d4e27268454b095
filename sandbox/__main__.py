"""python -m sandbox --port 8200 [--friends N --groups M --members K --mps P --seed S] [--rate-limit 5/1]
[--token-file instance/sandbox_token]"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from sandbox import guard
from sandbox.app import create_app, serve
from sandbox.core import Settings
from sandbox.seeding import WorldSpec


def _rate(text: str) -> tuple[int, float]:
    sends, _, seconds = text.partition("/")
    try:
        return int(sends), float(seconds or 1)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("use SENDS/SECONDS, e.g. 5/1") from exc


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="A local web-WeChat server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8200)
    parser.add_argument("--friends", type=int, default=20)
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--members", type=int, default=30, help="members per seeded group, bot included")
    parser.add_argument("--mps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--saved-groups", type=float, default=0.5,
                        help="share of the seeded groups saved to contacts (only those are in webwxgetcontact)")
    parser.add_argument("--account", default="wxpy机器人", help="the bot account's nick name")
    parser.add_argument("--accounts", type=int, default=0,
                        help="further accounts a1..aN, each with a world of its own under /a/<name>/")
    parser.add_argument("--web-login-refused", action="store_true", help="answer 1203 to the plain web login")
    parser.add_argument("--rate-limit", type=_rate, default=None, metavar="SENDS/SECONDS",
                        help="answer Ret 1205 beyond this many sends per window (off by default)")
    parser.add_argument("--sync-timeout", type=float, default=25.0, help="synccheck long-poll seconds")
    parser.add_argument("--login-poll-timeout", type=float, default=25.0)
    parser.add_argument("--qr-ttl", type=float, default=300.0)
    parser.add_argument("--invite-accept", choices=("immediate", "manual"), default="immediate")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--token-file", type=Path, default=None,
                        help="where to write the control API token (mode 600); default $INSTANCE_PATH/sandbox_token "
                             "or instance/sandbox_token")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    spec = WorldSpec(friends=args.friends, groups=args.groups, members=args.members, mps=args.mps, seed=args.seed,
                     saved_groups=args.saved_groups,
                     account={"nick_name": args.account, "web_login_refused": args.web_login_refused})
    settings = Settings(sync_timeout=args.sync_timeout, login_poll_timeout=args.login_poll_timeout,
                        qr_ttl=args.qr_ttl, invite_accept=args.invite_accept)
    token = guard.new_token()
    # Written before the port opens: a client that finds the sandbox up can already read this run's token.
    guard.write_token_file(args.token_file or guard.default_token_file(), token)
    app = create_app(spec, settings, token=token, accounts=args.accounts)
    if args.rate_limit:
        from sandbox.core import RateLimiter

        app.extensions["sandbox"].limiter = RateLimiter(*args.rate_limit)
    serve(app, args.host, args.port)


if __name__ == "__main__":
    main()
