"""``wabbit introspect``: vw-varinfo in one pass on a model file plus data, a checkpoint, or the running daemon."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from appliance.errors import UsageError

HELP = ("Show a model's features and interaction terms (names, value ranges, weights, RelScore, importance) as text, CSV "
        "or JSON; --diff A B: what changed between two models, by feature.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, nargs="?",
                        help="A VW model file or checkpoint (default: the newest checkpoint of --data-dir).")
    parser.add_argument("--data", type=Path, nargs="+", default=[],
                        help="Data the model learned from, for names and value ranges: VW text, or DSJSON (.json, .dsjson). "
                             "Default: the event log of --data-dir or of the checkpoint's data directory.")
    parser.add_argument("--data-dir", type=Path, help="The appliance's data directory (default: ~/.local/share/wabbit).")
    parser.add_argument("--api", metavar="URL", help="Ask the running daemon (e.g. http://127.0.0.1:8080) with its token.")
    parser.add_argument("--token", help="The daemon's access token (default: the file `token` in --data-dir).")
    parser.add_argument("--diff", type=Path, nargs=2, metavar=("A", "B"), help="Compare two models (checkpoints), by feature.")
    parser.add_argument("--top", type=int, default=30, help="Rows to show, 0 for all (default: 30).")
    parser.add_argument("--namespace", help="Only terms that cross this namespace.")
    parser.add_argument("--search", help="Only names containing this text (any case).")
    parser.add_argument("--sort", default="importance", choices=["importance", "weight", "abs_weight", "relscore", "name", "count"],
                        help="Largest first (name: A-Z; default: importance; a diff sorts by the size of the change).")
    parser.add_argument("--format", default="text", choices=["text", "csv", "json"], help="Output format (default: text).")


def run(args: argparse.Namespace) -> int:
    if args.top < 0:
        raise UsageError(f"--top {args.top}: give a number of rows, or 0 for all")
    if args.api:
        return _from_api(args)
    from appliance.assemble import default_data_dir
    from appliance.introspect import Observations, diff, open_model, read_data, read_layout, varinfo
    from appliance.introspect.live import LogReader
    from appliance.introspect.sources import check_checkpoint, event_log, newest_checkpoint
    from appliance.introspect.varinfo import check_comparable

    data_dir: Path | None = args.data_dir
    if args.diff or args.model:
        models = list(args.diff) if args.diff else [args.model]
    else:
        data_dir = data_dir or default_data_dir()
        models = [newest_checkpoint(data_dir)]
    checkpoints = [check_checkpoint(model) for model in models]
    workspaces = [open_model(model) for model in models]
    try:  # a checkpoint is a bandit, also one VW learns as cost-sensitive (cb_type python:NAME)
        layout = read_layout(workspaces[0], "contextual bandit") if all(checkpoints) else None
        if args.diff:
            check_comparable(*(read_layout(ws) for ws in workspaces))
        seen = read_data(workspaces[0], args.data, Observations.of(workspaces[0], layout))
        log = None if args.data else event_log(models[0], data_dir)
        if log is not None:
            LogReader(log).read(seen)
        if not args.data and log is None:
            print(f"wabbit introspect: no data given and no event log next to {models[0]}: names cannot be known "
                  "(pass --data)", file=sys.stderr)
        tables = [varinfo(ws, seen) for ws in workspaces]
    finally:
        for ws in workspaces:
            ws.finish()
    table = diff(*tables) if args.diff else tables[0].sorted(args.sort)
    if table.warning:
        print(f"wabbit introspect: warning: {table.warning}", file=sys.stderr)
    view = table.filter(namespace=args.namespace, search=args.search)
    if args.namespace is not None and not len(table.filter(namespace=args.namespace)):
        known = sorted({ns for r in table.order for ns in table.namespace(r).split("*")} - {"?", ""})
        raise UsageError(f"--namespace {args.namespace}: no term crosses it; the data's namespaces are {', '.join(known) or 'none'} "
                         "(give a whole name: the letters of VW's -q are not names)")
    view = view.top(args.top) if args.top else view
    print({"text": view.to_text, "csv": view.to_csv, "json": view.to_json}[args.format](), end="")
    return 0


def _from_api(args: argparse.Namespace) -> int:
    import json
    import urllib.parse

    from appliance.assemble import default_data_dir
    from appliance.introspect.sources import fetch_features
    from appliance.introspect.table import format_csv, format_text

    if args.model or args.diff or args.data:
        raise UsageError("--api reads the running daemon's model: give no model file, --diff or --data with it")
    url = urllib.parse.urlsplit(args.api)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise UsageError(f"--api {args.api}: give the daemon's URL with http:// or https://, e.g. http://127.0.0.1:8080")
    token = args.token
    if token is None:
        path = (args.data_dir or default_data_dir()) / "token"
        try:
            token = path.read_text().strip()
        except OSError:
            raise UsageError(f"no token: pass --token, or --data-dir with the daemon's data directory ({path} is not readable)") from None
    body = fetch_features(args.api, token, {"sort": args.sort, "namespace": args.namespace, "search": args.search, "limit": args.top})
    multi = len({r["model"] for r in body["rows"]}) > 1
    unnamed = sum(1 for r in body["rows"] if r["name"] is None)
    out = {"text": lambda: format_text(body["rows"], body["note"], multi, unnamed), "csv": lambda: format_csv(body["rows"]),
           "json": lambda: json.dumps(body)}[args.format]()
    print(out, end="" if out.endswith("\n") else "\n")
    return 0
