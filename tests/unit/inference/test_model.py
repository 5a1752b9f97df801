"""Generative model validation and the built-in models."""

from __future__ import annotations

import numpy as np
import pytest

from aiops.core.errors import UsageError
from aiops.inference import GenerativeModel, build_model, random_model, tmaze_model


def test_tmaze_dimensions():
    model = tmaze_model()
    assert model.num_states == [4, 2]
    assert model.num_obs == [4, 3, 2]
    assert model.num_controls == [4, 1]
    model.validate()


@pytest.mark.parametrize("name,states,controls", [("grid:10", [100], [5]), ("grid:3", [9], [5])])
def test_grid_dimensions(name, states, controls):
    model, env = build_model(name)
    assert model.num_states == states and model.num_controls == controls
    model.validate()


@pytest.mark.parametrize("seed", range(20))
def test_random_models_are_valid_and_seeded(seed):
    a, b = random_model(seed), random_model(seed)
    a.validate()
    assert 2 <= a.num_factors <= 3 and 2 <= a.num_modalities <= 3
    assert a.num_controls[0] >= 2
    for x, y in zip(a.A + a.B + a.C + a.D, b.A + b.B + b.C + b.D):
        np.testing.assert_array_equal(x, y)
    assert all(np.all(x > 0) for x in a.A + a.B + a.D)


def test_random_models_differ_by_seed():
    assert not all(np.array_equal(x, y) for x, y in zip(random_model(1).A, random_model(2).A))


@pytest.mark.parametrize("name", ["maze", "grid", "grid:x", "grid:1", "grid:-3", "random", "random:abc",
                                  "random:-1", "tmaze:2", ""])
def test_build_model_rejects_bad_names(name):
    with pytest.raises(UsageError) as info:
        build_model(name)
    assert repr(name) in info.value.message or name.split(":")[0] in info.value.message


def _broken(**changes) -> GenerativeModel:
    model = tmaze_model()
    for key, value in changes.items():
        setattr(model, key, value)
    return model


def test_validate_names_unnormalised_A():
    model = tmaze_model()
    model.A[1] = model.A[1] * 1.5
    with pytest.raises(UsageError, match=r"^A\[1\] columns do not sum to 1$"):
        model.validate()


def test_validate_names_unnormalised_B():
    model = tmaze_model()
    model.B[0][:, :, 2] *= 0.5
    with pytest.raises(UsageError, match=r"^B\[0\] columns do not sum to 1$"):
        model.validate()


def test_validate_names_mismatched_A_shape():
    model = tmaze_model()
    model.A[2] = np.full((2, 4, 3), 0.5)
    with pytest.raises(UsageError, match=r"A\[2\] has shape \(2, 4, 3\); expected \(O, 4, 2\)"):
        model.validate()


def test_validate_names_non_square_B():
    model = tmaze_model()
    model.B[1] = np.ones((2, 3, 1)) / 2
    with pytest.raises(UsageError, match=r"B\[1\] has shape"):
        model.validate()


@pytest.mark.parametrize("key,index,value,message", [
    ("D", 0, np.array([0.5, 0.5, 0.5, 0.5]), r"D\[0\] does not sum to 1"),
    ("D", 1, np.array([0.5, 0.5, 0.0]), r"D\[1\] has shape \(3,\); expected \(2,\)"),
    ("C", 1, np.array([0.0, np.nan, 1.0]), r"C\[1\] contains NaN"),
    ("C", 0, np.zeros(3), r"C\[0\] has shape \(3,\); expected \(4,\)"),
])
def test_validate_names_bad_vectors(key, index, value, message):
    model = tmaze_model()
    getattr(model, key)[index] = value
    with pytest.raises(UsageError, match=message):
        model.validate()


def test_validate_negative_and_nan_entries():
    model = tmaze_model()
    model.A[0][0, 0, 0] = -0.1
    model.A[0][1, 0, 0] = 0.1
    with pytest.raises(UsageError, match=r"A\[0\] has negative entries"):
        model.validate()
    model = tmaze_model()
    model.B[0][0, 0, 0] = np.nan
    with pytest.raises(UsageError, match=r"B\[0\] contains NaN"):
        model.validate()


def test_validate_factor_list_and_dirichlet():
    model = random_model(0, factorised=True)
    model.validate()
    model.A_factor_list[0] = [5]
    with pytest.raises(UsageError, match=r"A_factor_list\[0\]"):
        model.validate()
    model = tmaze_model()
    model.pA = [np.ones((4, 4, 2))]
    with pytest.raises(UsageError, match=r"pA has 1 arrays; expected 3"):
        model.validate()


def test_copy_is_deep():
    model = tmaze_model()
    clone = model.copy()
    clone.A[0][0, 0, 0] = 0.0
    assert model.A[0][0, 0, 0] == 1.0
    assert clone.to_dict() == model.to_dict()
