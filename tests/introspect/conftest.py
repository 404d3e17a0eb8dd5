"""Seeded training data for every model kind, and VW's own ``--invert_hash`` readable model as the reference."""

from __future__ import annotations

import random
from pathlib import Path

import vowpalwabbit

KINDS: dict[str, str] = {
    "regression": "-q ab --cubic abc",
    "binary": "--binary --loss_function logistic -q ab",
    "oaa": "--oaa 3 -q ab --cubic aab",
    "bootstrap": "--bootstrap 3 -q ab",
    "hash_all_seed": "--hash all --hash_seed 7 -q ab --noconstant",
    "cb_explore_adf": "--cb_explore_adf -q rc --interactions :c --cubic rrc",
    "cb_bag": "--cb_explore_adf --bag 3 --interactions :c",
    "cb_cover": "--cb_explore_adf --cover 2 -q rc",
    "cb_wildcards": "--cb_explore_adf --interactions :: --epsilon 0.1",
}


def single_line_data(kind: str, n: int, seed: int = 3) -> list[str]:
    """``n`` lines with namespaces sharing first letters (alpha, amber), the default namespace, negative values."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        label = {"binary": rng.choice(["-1", "1"]), "oaa": str(rng.randint(1, 3))}.get(kind, f"{rng.gauss(0, 2):.4f}")
        alpha = " ".join(f"x{rng.randrange(30)}:{rng.uniform(-2, 3):.3f}" for _ in range(rng.randint(1, 4)))
        amber = " ".join(f"y{rng.randrange(5)}" for _ in range(rng.randint(0, 2)))
        beta = " ".join(f"b{rng.randrange(8)}:{rng.uniform(0, 1):.3f}" for _ in range(rng.randint(1, 3)))
        charlie = f"|charlie c{rng.randrange(4)}" if rng.random() < 0.6 else ""
        lines.append(f"{label} |alpha {alpha} |amber {amber} |beta {beta} {charlie} | d{rng.randrange(6)} 12")
    return lines


def multi_line_data(n: int, seed: int = 5) -> list[list[str]]:
    """``n`` contextual-bandit decisions: shared room and rest namespaces, actions in colour and count."""
    rng = random.Random(seed)
    examples = []
    for _ in range(n):
        shared = (f"shared |room dark:{rng.uniform(0, 1):.3f} loud:{rng.uniform(-1, 1):.3f} |rest r{rng.randrange(5)} "
                  f"|time h{rng.randrange(24)}")
        chosen = rng.randrange(4)
        actions = []
        for a in range(4):
            label = f"{a + 1}:{-float(rng.random() < 0.3 + 0.1 * a)}:0.25 " if a == chosen else ""
            actions.append(f"{label}|colour c{a} tone:{0.2 * a + 0.1:.1f} |count n{a % 2}")
        examples.append([shared, *actions])
    return examples


def train_with_invert_hash(args: str, data: list[str] | list[list[str]], tmp: Path) -> tuple[Path, dict[int, tuple[str, float]]]:
    """Train with ``--invert_hash`` (the reference), save the model; the readable model as {index: (name, weight)}."""
    readable = tmp / "readable.txt"
    model = tmp / "model.vw"
    ws = vowpalwabbit.Workspace(f"{args} --quiet --random_seed 7 --invert_hash {readable} --hexfloat_weights")
    for example in data:
        ws.learn(example)
    ws.save(str(model))
    ws.finish()
    return model, parse_readable(readable)


def parse_readable(path: Path) -> dict[int, tuple[str, float]]:
    """``name:index:weight [state...]`` lines of a readable model (hexfloat weights), by index."""
    found: dict[int, tuple[str, float]] = {}
    for line in path.read_text().splitlines():
        parts = line.rsplit(":", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        try:
            found[int(parts[1])] = (parts[0], float.fromhex(parts[2].split()[0]))
        except ValueError:
            continue
    return found
