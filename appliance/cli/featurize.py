"""``wabbit featurize``: run one source through featurizers and print a line per window or frame."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from appliance.cli import flag_error
from appliance.errors import UsageError

HELP = "Capture from a source (audio:default, video:file:PATH, synthetic...) and print its features."

_DEFAULT_FEATURIZER = {"audio": "audio", "video": "video"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", required=True, metavar="SPEC",
                        help="audio:default, audio:pulse, audio:file:PATH, audio:synthetic, video:file:PATH, "
                             "video:mjpeg:URL, video:rtsp:URL, video:v4l2:/dev/video0, video:picamera2:0, synthetic")
    parser.add_argument("--featurizer", action="append", choices=("audio", "video", "face"), metavar="NAME",
                        help="audio, video or face (repeatable; default: audio or video by source kind)")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to run (default 5)")
    parser.add_argument("--json", action="store_true",
                        help="one JSON object per result: timestamp, namespace, features, ms")
    parser.add_argument("--max-results", type=int, default=0, help="stop after N results (0: no limit)")
    parser.add_argument("--window", type=float, default=None, help="audio window length in seconds")
    parser.add_argument("--downscale", type=int, default=None, help="video featurizer block size")
    parser.add_argument("--backend", choices=("cpu", "edgetpu", "hailo", "imx500"), default="cpu",
                        help="face featurizer inference backend (falls back to cpu)")
    parser.add_argument("--no-realtime", action="store_true",
                        help="files: hand over every window/frame as fast as featurized, not at real time")


def _configs(args: argparse.Namespace) -> tuple[Any, list[Any]]:
    from pydantic import TypeAdapter, ValidationError

    from featurizers import FeaturizerConfig, FeaturizerError, SourceConfig, check_available, parse_source_spec

    try:
        source = parse_source_spec(args.source)
        fields = source.model_dump()
        if args.window is not None and "window_seconds" in fields:
            fields["window_seconds"] = args.window
            fields["hop_seconds"] = min(fields["hop_seconds"], args.window)
        if args.no_realtime and "realtime" in fields:
            fields["realtime"] = False
        source = TypeAdapter(SourceConfig).validate_python(fields)
        check_available(source)
    except ValidationError as err:  # an option out of its range: name it (its first line names pydantic's union)
        first = err.errors()[0]
        if str(first["loc"][-1]) in ("window_seconds", "hop_seconds"):
            raise flag_error(err, "--window") from None
        raise UsageError(f"{args.source}: {first['loc'][-1]}: {first['msg']}") from None
    except FeaturizerError as err:
        raise UsageError(str(err).splitlines()[0]) from None
    kind = source.kind
    names = args.featurizer or [_DEFAULT_FEATURIZER[kind]]
    featurizers = []
    for name in names:
        wanted = "audio" if name == "audio" else "video"
        if wanted != kind:
            raise UsageError(f"featurizer {name!r} needs a {wanted} source, {args.source!r} is {kind}")
        fields = {"type": name, "source": source.id}
        if name == "video" and args.downscale is not None:
            fields["downscale"] = args.downscale
        if name == "face":
            fields["backend"] = args.backend
        try:
            featurizers.append(TypeAdapter(FeaturizerConfig).validate_python(fields))
        except ValidationError as err:
            raise UsageError(f"featurizer {name!r}: {err.errors()[0]['msg']}") from None
    return source, featurizers


def run(args: argparse.Namespace) -> int:
    from featurizers import FeaturizerError, Pipeline, PipelineConfig

    if not args.seconds > 0:
        raise UsageError(f"--seconds {args.seconds:g}: give a number of seconds above 0")
    if args.max_results < 0:
        raise UsageError(f"--max-results {args.max_results}: give a number of results, or 0 for no limit")
    source, featurizers = _configs(args)
    try:
        pipeline = Pipeline(PipelineConfig(sources=[source], featurizers=featurizers))
    except FeaturizerError as err:
        raise UsageError(str(err)) from None
    count = 0
    pipeline.start()
    deadline = time.monotonic() + args.seconds
    try:
        while time.monotonic() < deadline and not pipeline.ended:
            for result in pipeline.poll(timeout=min(0.5, max(0.0, deadline - time.monotonic()))):
                print(json.dumps(result.to_json()) if args.json else result.to_vw(), flush=True)
                count += 1
                if args.max_results and count >= args.max_results:
                    return 0
    finally:
        pipeline.stop()
    if count == 0:
        stats = pipeline.stats()["sources"][source.id]
        window = getattr(source, "window_seconds", 0.0)
        hint = (f"; the audio window is {window:g} s: run longer than it (--seconds) or give a shorter --window"
                if window >= args.seconds else "")
        print(f"wabbit featurize: no window/frame from {args.source} in {args.seconds:g} s "
              f"(state {stats['state']}, last error: {stats['last_error'] or 'none'}){hint}", file=sys.stderr)
        return 1
    return 0
