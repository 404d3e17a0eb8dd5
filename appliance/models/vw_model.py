"""A ``vw`` model: a Vowpal Wabbit workspace of any type, made from VW arguments, that predicts and learns raw
examples, durably.

Learned examples go to a log of their own (``learn/``, fsynced) before they are learned, and the model is
checkpointed (``checkpoints/``) every ``checkpoint_every`` examples, on ``save`` and on ``close``; a restart
loads the newest checkpoint and learns what the log holds after it. Unlike ``vw --daemon``, one workspace
serves every caller (no forked children whose weights diverge) and a save never races a learn.

>>> import tempfile
>>> model = VWModel.create("ratings", Path(tempfile.mkdtemp()), "--loss_function logistic --link logistic")
>>> model.learn(["1 |u alice |i film", "-1 |u bob |i film"], "text")
2
>>> model.predict(["|u alice |i film"], "text")[0].type, model.statistics().examples
('scalar', 2)
>>> model.close()
"""

from __future__ import annotations

import json
import logging
import shlex
import threading
import time
from pathlib import Path
from typing import Any, Protocol, Sequence

import orjson
import vowpalwabbit
from vowpalwabbit import LabelType

from appliance.errors import UsageError
from appliance.features import Features
from appliance.join.rewards import RewardResult
from appliance.models.base import (
    ExampleFormat,
    ModelKind,
    ModelKindError,
    ModelStatistics,
    ModelVersion,
    Origin,
    Prediction,
    version_above,
    weight_entries,
)
from appliance.models.predictions import DSJSONPredictor, check_dsjson, check_text, lines_of, parse, predict
from appliance.policy.base import Decision
from appliance.storage.atomic import write_atomically
from appliance.storage.checkpoints import CheckpointMeta, CheckpointStore
from appliance.storage.eventlog import EventLog
from appliance.storage.log_segments import LogPosition
from appliance.storage.wal_tickets import Ticket

# Options that read or write files, open sockets or fork: the model's files are the appliance's.
FORBIDDEN = frozenset(
    "-d --data -f --final_regressor -i --initial_regressor --readable_model --invert_hash -c --cache --cache_file "
    "--daemon --port --pid_file --num_children --foreground -p --predictions -r --raw_predictions --audit_regressor "
    "--output_feature_regularizer_binary --output_feature_regularizer_text --input_feature_regularizer --span_server "
    "--unique_id --total --node --sendto --passes --save_per_pass --flatbuffer --no_stdin --quiet --help -h".split())
SPEC = "model.json"
log = logging.getLogger(__name__)


def checked_arguments(arguments: str) -> list[str]:
    """VW arguments split, once none touches files or sockets.

    >>> checked_arguments("--oaa 3 -q ab")
    ['--oaa', '3', '-q', 'ab']
    >>> checked_arguments("--oaa 3 -f out.vw")
    Traceback (most recent call last):
    ...
    appliance.errors.UsageError: VW option -f touches files, sockets or processes; the appliance keeps the model's files
    """
    try:
        args = shlex.split(arguments)
    except ValueError as err:
        raise UsageError(f"VW arguments {arguments!r}: {err}") from None
    bad = sorted({a.split("=", 1)[0] for a in args} & FORBIDDEN)
    if bad:
        raise UsageError(f"VW option {', '.join(bad)} touches files, sockets or processes; the appliance keeps the model's files")
    return args


class WorkspaceFactory(Protocol):
    """What makes a :class:`VWModel`'s workspaces from VW arguments: ``vowpalwabbit.Workspace``, or a test's wrapper
    around it (one that counts the loads, say)."""

    def __call__(self, *, arg_list: list[str]) -> Any: ...


class VWModel:
    """Every workspace the model makes in this process (at start, on a checkpoint or upload loaded) comes from its
    ``workspace`` factory."""

    kind: ModelKind = "vw"

    def __init__(self, name: str, directory: Path, arguments: str, durable: bool = True, checkpoint_every: int = 10_000,
                 workspace: WorkspaceFactory = vowpalwabbit.Workspace) -> None:
        self.name, self.directory, self.arguments = name, directory, arguments
        self._new_workspace = workspace
        self._args = checked_arguments(arguments)
        self._dsjson, self._json = "--dsjson" in self._args, "--json" in self._args
        self._lock = threading.Lock()
        self._log = EventLog(directory / "learn", segment_bytes=16 << 20, fsync=durable, name="learn", suffix="jsonl")
        self._checkpoints = CheckpointStore(directory / "checkpoints", keep=10)
        self._every = checkpoint_every
        self._workspace = self._open([])
        self._label_type, self._multiline = self._workspace.get_label_type(), self._workspace._is_multiline()
        self._slates = self._label_type == LabelType.SLATES  # VW reads slates DSJSON with fewer checks
        self.version = self.examples = self.features = self._since = 0
        self._origin: Origin | None = None  # where the version it runs as came from (an upload, a bundle, a rollback)
        self._weights: tuple[int, int] | None = None  # (version, non-zero weights) once counted
        self._dsjson_predictor: DSJSONPredictor | None = None  # made at the workspace's first DSJSON prediction
        self._recover()

    @classmethod
    def create(cls, name: str, directory: Path, arguments: str, durable: bool = True,
               workspace: WorkspaceFactory = vowpalwabbit.Workspace) -> VWModel:
        """A new model in ``directory`` (its arguments saved in ``model.json``, read by :func:`open_model`), once a
        child process has shown that Vowpal Wabbit takes its arguments without crashing."""
        from appliance.models.vw_check import check_vw_arguments

        args = checked_arguments(arguments)
        if "--json" in args:
            raise UsageError("VW option --json: the appliance takes JSON examples as DSJSON lines; create the model with "
                             '--dsjson and send each example as the "c" of a line ({"c": {...}})')
        check_vw_arguments(args)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomically(directory / SPEC, json.dumps({"kind": "vw", "arguments": arguments, "created": time.time()}).encode())
        return cls(name, directory, arguments, durable, workspace=workspace)

    def _open(self, extra: list[str]) -> Any:
        try:
            return self._new_workspace(arg_list=[*self._args, "--quiet", *extra])
        except RuntimeError as err:
            raise UsageError(f"Vowpal Wabbit refused the arguments {self.arguments!r}: {err}") from None

    # -- Saveable, for the checkpoint store ------------------------------------------------------
    def save(self, path: Path) -> None:
        self._workspace.save(str(path))

    def load(self, path: Path, model_version: int) -> None:
        # VW zeroes the loaded counters (weighted examples, loss, example number) unless told to keep them: the
        # statistics, and the learning that goes on from the file, are then the loaded version's
        workspace = self._open(["-i", str(path), "--preserve_performance_counters"])
        self._close_predictor()
        self._workspace.finish()
        self._workspace, self.version = workspace, model_version

    def _recover(self) -> None:
        meta = self._checkpoints.load_latest(self)
        if meta is not None:
            self._restore(meta)
        segments = self._log.segments()
        start = meta.position if meta is not None else LogPosition(segments[0] if segments else 1, 0)
        for _, _, line in self._log.read_from(start):
            try:
                examples = [str(x) for x in orjson.loads(line)["x"]]
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line: never acknowledged
            try:
                parsed = self._parsed(examples)
            except UsageError as err:  # logged by a version that checked less, and refused then: never acknowledged
                log.warning("model %r: a logged batch that VW cannot read is left out: %s", self.name, err)
                continue
            self._learn(parsed)
        if self._since:
            self._checkpoint()

    def _restore(self, meta: CheckpointMeta) -> None:
        """The counters a checkpoint kept (one from before examples were kept apart from the version: its version)."""
        self.features, self.examples = int(meta.stats.get("features", 0)), int(meta.stats.get("examples", meta.model_version))
        self._origin = Origin.kept(meta)

    # -- serving ---------------------------------------------------------------------------------
    def ready(self) -> bool:
        return True

    def policy_type(self) -> str:
        return "vw"

    def model_suffix(self) -> str:
        return ".vw"

    def decide(self, context: Features, actions: Sequence[str] | None = None, event_id: str | None = None) -> Decision:
        raise self._no_decisions()

    def begin_decide(
        self, context: Features, actions: Sequence[str] | None = None, event_id: str | None = None, *, wait: bool = True
    ) -> tuple[Decision, Ticket] | None:
        raise self._no_decisions()

    def _no_decisions(self) -> ModelKindError:
        return ModelKindError(f"model {self.name!r} is a vw model: it predicts and learns examples; decisions come from loop models")

    def reward(self, event_id: str, value: float, reward_id: str | None = None) -> RewardResult:
        raise self._no_rewards()

    def begin_reward(
        self, event_id: str, value: float, reward_id: str | None = None, *, wait: bool = True
    ) -> tuple[RewardResult, Ticket] | None:
        raise self._no_rewards()

    def _no_rewards(self) -> ModelKindError:
        return ModelKindError(f"model {self.name!r} is a vw model: it learns labelled examples, not rewards of decisions")

    def _check_format(self, fmt: ExampleFormat) -> None:
        if (fmt == "dsjson") != self._dsjson:
            raise UsageError(f"model {self.name!r} reads {'DSJSON' if self._dsjson else 'VW text'} examples (it was created "
                             f"{'with' if self._dsjson else 'without'} --dsjson); send them in that format")

    def predict(self, examples: Sequence[str], fmt: ExampleFormat) -> list[Prediction]:
        self._check_format(fmt)
        with self._lock:
            if fmt == "text":
                return predict(self._workspace, examples)
            if self._dsjson_predictor is None:  # closed whenever another workspace is loaded
                self._dsjson_predictor = DSJSONPredictor(self._workspace)
            return self._dsjson_predictor.predict(examples)

    def _close_predictor(self) -> None:
        if self._dsjson_predictor is not None:
            self._dsjson_predictor.close()
            self._dsjson_predictor = None

    def learn(self, examples: Sequence[str], fmt: ExampleFormat) -> int:
        """The examples learned once they are in the log. All are parsed first: one that VW cannot parse refuses the
        batch, nothing logged or learned. One that VW's learner refuses (it checks some things only when it learns)
        is left out and named in a UsageError after the others are learned: those are durable, not to be sent again."""
        self._check_format(fmt)
        if not examples:
            return 0
        with self._lock:
            parsed = self._parsed(examples)
            try:
                self._log.write([orjson.dumps({"f": fmt, "x": list(examples)}) + b"\n"])
                self._log.sync()  # durable before it is learned and acknowledged
            except BaseException:
                for example in parsed:  # back to VW's pool, not learned
                    self._workspace.finish_example(example)
                raise
            refusals = self._learn(parsed)
            if self._since >= self._every:
                self._checkpoint()
        if refusals:
            index, err = refusals[0]
            raise UsageError(f"model {self.name!r} learned {len(examples) - len(refusals)} of {len(examples)} examples, durably "
                             f"(do not send them again); its learner refused example(s) {', '.join(str(i) for i, _ in refusals)} "
                             f"(example {index}: {err}): {examples[index][:120]!r}")
        return len(examples)

    def _parsed(self, examples: Sequence[str]) -> list[Any]:
        """Every example parsed by the workspace (a DSJSON line checked before VW's reader sees it); UsageError naming
        the first that is not one, with the others given back."""
        workspace, parsed = self._workspace, []
        try:
            for index, text in enumerate(examples):
                if not text.strip():
                    raise UsageError(f"example {index} is empty; send labelled VW examples")
                if self._dsjson:
                    check_dsjson(text, index, self._slates)
                elif self._json:  # made before --json was refused: its learning reads VW's JSON, checked as a context
                    check_dsjson(f'{{"c":{text}}}', index, self._slates, what="JSON example")
                else:
                    check_text(lines_of(text), index, self._label_type, self._multiline, learning=True)
                parsed.append(parse(workspace, text, index))
        except UsageError:
            for example in parsed:
                workspace.finish_example(example)
            raise
        return parsed

    def _learn(self, parsed: list[Any]) -> list[tuple[int, str]]:
        """Each parsed example learned and given back; the (index, reason) of those the learner refused."""
        workspace, refusals = self._workspace, []
        for index, example in enumerate(parsed):
            try:
                workspace.learn(example)
                self.features += sum(e.get_feature_number() for e in example) if isinstance(example, list) else example.get_feature_number()
            except RuntimeError as err:
                refusals.append((index, str(err)))
            finally:
                workspace.finish_example(example)
        learned = len(parsed) - len(refusals)
        self.version, self.examples, self._since = self.version + learned, self.examples + learned, self._since + learned
        return refusals

    def statistics(self) -> ModelStatistics:
        with self._lock:
            ws = self._workspace
            weighted, sum_loss = float(ws.get_weighted_examples()), float(ws.get_sum_loss())
            if self._weights is None or self._weights[0] != self.version:
                self._weights = (self.version, len(weight_entries(ws)))
            return ModelStatistics(self.version, self.examples, weighted, sum_loss, sum_loss / weighted if weighted else None,
                                   self.features, self._weights[1])

    # -- versions --------------------------------------------------------------------------------
    def _checkpoint(self) -> CheckpointMeta:
        position = self._log.sync()
        stats = {"features": self.features, "examples": self.examples, **(self._origin.stats(self.version) if self._origin else {})}
        meta = self._checkpoints.save(self, self.version, position, stats)
        self._since = 0
        return meta

    def export(self) -> tuple[Path, ModelVersion]:
        """The model saved as it is now: a new checkpoint, unless the newest is of this version and nothing was learned
        since (a save after an upload or another save lists that version once)."""
        with self._lock:
            entries = self._checkpoints.entries()
            if self._since or not entries or entries[0][0].model_version != self.version:
                self._checkpoint()
                entries = self._checkpoints.entries()
            meta, path = entries[0]
        return path, ModelVersion.of(meta, path)

    def load_file(self, path: Path, model_version: int | None = None, how: str = "upload") -> ModelVersion:
        from appliance.models.vw_check import check_vw_file

        counted = check_vw_file(path, self._workspace)
        with self._lock:
            self.load(path, self._above(model_version))
            # what it learned, not the version it runs as
            self.examples, self.features = counted.examples, counted.features
            self._origin = Origin(how, model_version, self.version)
            meta = self._checkpoint()
        return ModelVersion.of(meta, self._checkpoints.entries()[0][1])

    def versions(self) -> list[ModelVersion]:
        return [ModelVersion.of(meta, path) for meta, path in self._checkpoints.entries()]

    def _above(self, asked: int | None = None) -> int:
        return version_above(self.version, (meta.model_version for meta, _ in self._checkpoints.entries()), asked)

    def rollback(self, version: int) -> ModelVersion:
        for meta, path in self._checkpoints.entries():
            if meta.model_version == version:
                with self._lock:
                    self.load(path, self._above())
                    self._restore(meta)
                    self._origin = Origin("rollback", version, self.version)
                    new = self._checkpoint()
                return ModelVersion.of(new, self._checkpoints.entries()[0][1])
        raise UsageError(f"model {self.name!r} has no saved version {version}; its versions: "
                         f"{', '.join(str(v.version) for v in self.versions()) or 'none'}")

    def status(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "arguments": self.arguments, "state": "running",
                "statistics": self.statistics().__dict__}

    def close(self) -> None:
        with self._lock:
            if self._since:
                self._checkpoint()
            self._log.close()
            self._close_predictor()
            self._workspace.finish()
