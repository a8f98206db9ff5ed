"""A penguins-like mixed table for the tests: categorical and numeric features, missing values.

Synthetic (no download): three species on three islands, with bill and flipper lengths, body
mass and sex. ``island`` and ``sex`` are text (categorical), the rest numbers; ``sex`` and
``body_mass_g`` have missing values (None), so the model learns a missing level and a
missing indicator. Species are separable enough for a few epochs to learn them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FEATURES = ("island", "bill_length_mm", "flipper_length_mm", "body_mass_g", "sex")
SPECIES = ("Adelie", "Chinstrap", "Gentoo")
ISLANDS = ("Biscoe", "Dream", "Torgersen")
NUMERIC = ("bill_length_mm", "flipper_length_mm", "body_mass_g")

# A row of each species, as /predict takes it (lists in feature order).
ADELIE = ["Torgersen", 38.8, 190.0, 3700.0, "female"]
GENTOO = ["Biscoe", 47.5, 217.0, 5000.0, "male"]


def make_penguins(n: int = 300, seed: int = 0) -> tuple[dict[str, list[Any]], np.ndarray]:
    """Columns ``{name: list}`` (None where missing) and species labels (n,)."""
    rng = np.random.default_rng(seed)
    species = rng.integers(0, 3, size=n)
    island_by_species = ([0.3, 0.3, 0.4], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0])
    island = [ISLANDS[rng.choice(3, p=island_by_species[s])] for s in species]
    bill = np.array([38.8, 48.8, 47.5])[species] + rng.normal(0, 1.5, n)
    flipper = np.array([190.0, 196.0, 217.0])[species] + rng.normal(0, 4.0, n)
    mass = np.array([3700.0, 3730.0, 5080.0])[species] + rng.normal(0, 250.0, n)
    sex = rng.choice(["male", "female"], size=n).tolist()
    mass_list: list[float | None] = mass.round(0).tolist()
    for i in rng.choice(n, size=n // 10, replace=False).tolist():
        sex[i] = None
    for i in rng.choice(n, size=n // 20, replace=False).tolist():
        mass_list[i] = None
    columns = {
        "island": island,
        "bill_length_mm": bill.round(1).tolist(),
        "flipper_length_mm": flipper.round(0).tolist(),
        "body_mass_g": mass_list,
        "sex": sex,
    }
    return columns, np.array(SPECIES)[species]


def train_penguins_net(**fit: Any):
    """A small classifier of the table above (a few seconds at most)."""
    from model import Network

    columns, species = make_penguins()
    net = Network(hidden=(16,), seed=0)
    net.fit(columns, species, **{"epochs": 60, "learning_rate": 1e-2, **fit})
    return net
