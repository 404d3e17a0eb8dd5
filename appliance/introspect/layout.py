"""How a Vowpal Wabbit model lays out its weights, read from the workspace's own options: no special flags.

A feature hashed to ``h`` (``hash & (2**bits - 1)``) sits at weight index ``(h * width + k) % 2**bits`` for
sub-model ``k``: ``width`` is the product of the sub-models each reduction keeps per feature (``--oaa K``: one
per class, ``--bag N``: one per bag, ``--cover N``: the policy and N covers), rounded up to a power of two. An interaction term ``a*b`` sits at
``((FNV_PRIME * a * width) ^ (b * width) + k) % 2**bits`` (three terms: ``FNV * (FNV * a ^ b) ^ c``), which is
how VW combines hashes (its stride drops out of the arithmetic).

>>> import vowpalwabbit
>>> ws = vowpalwabbit.Workspace("--oaa 3 -q ab --quiet")
>>> layout = read_layout(ws)
>>> layout.width, layout.bits, layout.kind, layout.interactions, layout.sub_models, layout.offsets
(4, 18, 'multiclass', [('a', 'b')], ['class 1', 'class 2', 'class 3'], [0, 1, 2])
>>> ws.finish()
"""

from __future__ import annotations

import shlex
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from appliance.errors import UsageError

FNV_PRIME = 16777619
CONSTANT_HASH = 11650396
"""The hash of VW's ``Constant`` feature (in namespace 128, not crossed by wildcards)."""
CONSTANT_NAMESPACE = "\x80"

# reduction options that keep several weights per feature: option -> (name of each sub-model, extra ones)
_SUB_MODELS = {"--oaa": ("class", 0), "--bootstrap": ("bootstrap", 0), "--bag": ("bag", 0), "--cover": ("cover", 1)}
# options whose features or weights this module cannot name (they make features of their own, or keep weights elsewhere)
_UNSUPPORTED = ("--ngram", "--skips", "--affix", "--spelling", "--lrq", "--lrqfa", "--nn", "--stage_poly", "--autolink",
                "--redefine", "--dictionary", "--experimental_full_name_interactions", "--baseline", "--marginal", "--ksvm",
                "--lda", "--boosting", "--ftrl", "--pistol", "--coin", "--cbify", "--cb", "--cb_explore", "--ect", "--rnd",
                "--log_multi", "--recall_tree", "--plt", "--search", "--cats", "--cb_continuous", "--large_action_space",
                "--automl", "--sparse_weights", "--bfgs", "--conjugate_gradient", "--mf", "--rank", "--new_mf", "--csoaa",
                "--multilabel_oaa")
_MULTILINE = ("--cb_adf", "--cb_explore_adf", "--csoaa_ldf", "--wap_ldf")
# options that name files, say how examples are read or passed over, or what is reported: not what a model's weights mean
_NOT_THE_MODEL = frozenset((
    "--initial_regressor", "--final_regressor", "--readable_model", "--invert_hash", "--cache_file", "--cache", "--kill_cache",
    "--compressed", "--data", "--daemon", "--port", "--num_children", "--pid_file", "--port_file", "--foreground",
    "--predictions", "--raw_predictions", "--audit", "--audit_regressor", "--save_per_pass", "--save_resume",
    "--preserve_performance_counters", "--predict_only_model", "--id", "--hexfloat_weights", "--quiet", "--no_stdin",
    "--progress", "--limit_output", "--driver_output_off", "--driver_output", "--log_level", "--log_output", "--dsjson",
    "--json", "--flatbuffer", "--csv", "--strict_parse", "--extra_metrics", "--onethread", "--testonly",
    "--passes", "--examples", "--holdout_off", "--holdout_period", "--holdout_after", "--early_terminate", "--random_seed",
    "--output_feature_regularizer_binary", "--output_feature_regularizer_text", "--input_feature_regularizer",
    "--dump_json_weights_experimental", "--dump_json_weights_include_feature_names_experimental",
    "--dump_json_weights_include_extra_online_state_experimental"))
Kind = Literal["regression", "binary", "multiclass", "contextual bandit"]


@dataclass(frozen=True)
class ModelLayout:
    """Where a model keeps each feature's weights, and what its predictions mean."""

    bits: int
    width: int
    sub_models: list[str]
    """The name of each weight a feature has, or ``[""]`` for one."""
    offsets: list[int]
    """Where each sub-model's weight sits next to the first (``k`` in the module docstring)."""
    interactions: list[tuple[str, ...]]
    """As configured: namespace first letters, ``:`` a wildcard (every namespace, VW's rule)."""
    kind: Kind
    multiline: bool
    hash_all: bool = False
    hash_seed: int = 0
    constant: bool = True
    permutations: bool = False
    leave_duplicates: bool = False
    ignore: frozenset[str] = field(default_factory=frozenset)
    ignore_linear: frozenset[str] = field(default_factory=frozenset)
    chain_hash: bool = False
    """``--chain_hash``: a JSON string feature ``"k": "v"`` is hashed as hash(v, hash(k, namespace)), named ``k^v``."""
    keep: frozenset[str] | None = None
    """``--keep``'s namespaces (first letters): VW ignores every other one; ``None`` without ``--keep``."""
    arguments: str = ""

    @property
    def mask(self) -> int:
        return (1 << self.bits) - 1

    @property
    def reward_space(self) -> bool:
        """Contextual bandits learn costs: their weights are shown negated, as rewards (reward = -cost)."""
        return self.kind == "contextual bandit"

    @property
    def lowest_is_best(self) -> bool:
        """A cost-sensitive multi-line model (``--csoaa_ldf``, ``--wap_ldf``) predicts the action of lowest score, a cost;
        every other kind the highest (a bandit's scores are rewards here)."""
        return self.multiline and not self.reward_space


def _options(arguments: str) -> dict[str, list[str]]:
    """VW's option string as {option: [values]} (a flag has ``[]``); ``-q``/``--quadratic`` as given.

    >>> _options("--oaa 3 --quadratic ab --quadratic cd --noconstant")
    {'--oaa': ['3'], '--quadratic': ['ab', 'cd'], '--noconstant': []}
    """
    found: dict[str, list[str]] = {}
    words = shlex.split(arguments)
    for i, word in enumerate(words):
        if word.startswith("-") and not _is_number(word):
            found.setdefault(word, [])
        elif i > 0 and words[i - 1].startswith("-") and not _is_number(words[i - 1]):
            found[words[i - 1]].append(word)
    return found


def model_options(layout: ModelLayout) -> dict[str, tuple[str, ...]]:
    """The options that made the model, each with its values sorted: its arguments without the files, input, output
    and passes, its bits as read (a loaded model names them; a new workspace leaves the default out).

    >>> import vowpalwabbit
    >>> ws = vowpalwabbit.Workspace("--quiet -q cd -q ab --cache_file /tmp/x.cache -l 0.5 --noconstant")
    >>> model_options(read_layout(ws))
    {'--bit_precision': ('18',), '--learning_rate': ('0.5',), '--noconstant': (), '--quadratic': ('ab', 'cd')}
    >>> ws.finish()
    """
    found = {option: tuple(sorted(values)) for option, values in _options(layout.arguments).items() if option not in _NOT_THE_MODEL}
    return dict(sorted((found | {"--bit_precision": (str(layout.bits),)}).items()))


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def read_layout(workspace: Any, kind: Kind | None = None) -> ModelLayout:
    """The layout of ``workspace``'s model, from its options (those stored in a loaded model included).

    ``kind`` says what the predictions mean where the options cannot: the appliance's ``cb_type: python:NAME``
    policies run VW's cost-sensitive learner (``--csoaa_ldf m``) as a contextual bandit, their costs from Python.

    >>> import vowpalwabbit
    >>> ws = vowpalwabbit.Workspace("--csoaa_ldf m --csoaa_rank --quiet")
    >>> [(layout.kind, layout.reward_space, layout.lowest_is_best) for layout in (read_layout(ws), read_layout(ws, "contextual bandit"))]
    [('multiclass', False, True), ('contextual bandit', True, False)]
    >>> ws.finish()
    """
    arguments = workspace.get_arguments()
    arguments = arguments if isinstance(arguments, str) else " ".join(arguments)
    options = _options(arguments)
    unsupported = [o for o in _UNSUPPORTED if o in options]
    if unsupported:
        raise UsageError(f"this model uses {', '.join(unsupported)}: introspection cannot name the features or weights "
                         "those options make (supported: plain, --binary, --oaa, --bootstrap, --cb_adf, --cb_explore_adf "
                         "with --bag/--cover/--epsilon/--squarecb, -q/--cubic/--interactions)")
    if options.get("--cb_type", ["mtr"])[0] not in ("mtr", "ips"):
        raise UsageError(f"this model uses --cb_type {options['--cb_type'][0]}, which keeps a second regressor whose layout "
                         "introspection does not know; it reads --cb_type mtr (the default) and ips")
    width, sub_models, offsets = 1, [""], [0]
    for option in _stack(workspace):  # innermost first: an outer reduction strides over the inner ones' weights
        label, extra = _SUB_MODELS[option]
        count = int(options[option][0]) + extra
        names = [f"{label} {k + (1 if label == 'class' else 0)}" for k in range(count)]
        sub_models = [", ".join(filter(None, (outer, inner))) for outer in names for inner in sub_models]
        offsets = [k * width + inner for k in range(count) for inner in offsets]
        # cover with mtr reserves twice the weights it uses (DR estimates for its covers)
        width *= count * (2 if option == "--cover" and options.get("--cb_type", ["mtr"])[0] == "mtr" else 1)
    interactions = [tuple(t) for t in options.get("--quadratic", []) + options.get("--cubic", []) + options.get("--interactions", [])]
    multiline = any(o in options for o in _MULTILINE)
    if kind == "contextual bandit" and not multiline:
        raise UsageError(f"a contextual bandit has one example per action, and this model is single-line ({arguments.strip()}); "
                         "read it as what its options make it (no kind)")
    kind = kind or ("contextual bandit" if "--cb_adf" in options or "--cb_explore_adf" in options else
                    "multiclass" if "--oaa" in options or "--csoaa_ldf" in options else
                    "binary" if "--binary" in options else "regression")
    bits = int(workspace.num_weights()).bit_length() - 1
    width = 1 << (width - 1).bit_length()  # VW rounds the weights per feature up to a power of two
    return ModelLayout(
        bits=bits, width=width, sub_models=sub_models, offsets=offsets, interactions=interactions, kind=kind,
        multiline=multiline, hash_all=options.get("--hash", ["strings"])[0] == "all",
        hash_seed=int(options.get("--hash_seed", ["0"])[0]), constant="--noconstant" not in options,
        permutations="--permutations" in options, leave_duplicates="--leave_duplicate_interactions" in options,
        ignore=frozenset(c for v in options.get("--ignore", []) for c in v),
        ignore_linear=frozenset(c for v in options.get("--ignore_linear", []) for c in v),
        chain_hash="--chain_hash" in options, keep=frozenset(c for v in options["--keep"] for c in v) if "--keep" in options else None,
        arguments=arguments.strip())


def _stack(workspace: Any) -> list[str]:
    """The sub-model options in reduction order, innermost first (``get_enabled_reductions``)."""
    order = {"oaa": "--oaa", "bootstrap": "--bootstrap", "cb_explore_adf_bag": "--bag", "cb_explore_adf_cover": "--cover"}
    return [order[r] for r in workspace.get_enabled_reductions() if r in order]  # --bag is ignored without ADF, as VW does


def vw_version(path: Path) -> bytes:
    """The version of the Vowpal Wabbit that saved the model at ``path`` (``b"9.11.9"``), ``b""`` when it is not a VW
    model; a UsageError when it cannot be read.

    A VW model starts with the length of its version string, then the version.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError as err:
        raise UsageError(f"{path}: cannot read the model ({err.strerror})") from None
    size = struct.unpack("<I", head[:4])[0] if len(head) >= 4 else 0
    version = head[4:4 + size].rstrip(b"\0") if 2 <= size <= 32 else b""
    return version if version and all(c in b"0123456789." for c in version) else b""


def check_model_file(path: Path) -> None:
    """Refuse a file that is not a VW model, or one from a VW this one cannot read, before VW reads it."""
    import vowpalwabbit

    version = vw_version(path)
    if not version:
        raise UsageError(f"{path} is not a Vowpal Wabbit model (it does not start with a VW version); pass a file "
                         "saved by VW (`vw -f`, Workspace.save, GET /api/model or a checkpoint)")
    ours = vowpalwabbit.__version__ if hasattr(vowpalwabbit, "__version__") else "9"
    if version.split(b".")[0] != ours.split(".")[0].encode():
        raise UsageError(f"{path} was saved by Vowpal Wabbit {version.decode()}, which this VW ({ours}) cannot read; "
                         f"retrain it with VW {ours.split('.')[0]}.x (e.g. `wabbit replay` on its event log)")


def open_model(path: str | Path, *, counters: bool = False) -> Any:
    """A workspace that loaded the model at ``path``, checked first: VW reads a file cut short without a word
    (missing weights are zeros), so the model is saved again and must come out the size it went in. ``counters``: it
    keeps the counters the file holds (VW zeroes them otherwise) and logs into its own log (``get_log()``), where
    ``finish()`` leaves its summary of them."""
    import tempfile

    import vowpalwabbit

    path = Path(path)
    check_model_file(path)
    kept = ["--preserve_performance_counters"] if counters else ["--quiet"]
    try:  # a list: VW does not unquote a quoted path
        workspace = vowpalwabbit.Workspace(arg_list=[*kept, "-i", str(path)], enable_logging=counters)
    except RuntimeError as err:
        raise UsageError(f"{path}: Vowpal Wabbit cannot load this model ({err}); the file is truncated or corrupt") from None
    with tempfile.TemporaryDirectory() as tmp:
        again = Path(tmp) / "again.vw"
        workspace.save(str(again))
        size, expected = path.stat().st_size, again.stat().st_size
    if size != expected:
        workspace.finish()
        raise UsageError(f"{path}: the model is truncated or corrupt ({size} bytes, where the model VW read from it takes "
                         f"{expected}); use an intact copy (a checkpoint's sidecar and GET /api/model give its SHA-256)")
    return workspace
