"""Judges of 04's sections 4, 5 and 8: a learning-rate sweep, picking a rate from it, the student's own network
started at a rate from its own sweep, a fair optimizer comparison and a choice.

The sweep's control flow is checked on a run with parameters drawn for each grading (the rates it used
must be exactly the geometric sequence asked for, and it must stop where the rule says); the two MNIST
sweeps must look like sweeps of a fresh network. The pick is tried on sweeps made up here. The tuned
models are measured in the model sandbox, and the gaps the student states are compared with the
grader's own measurement of the three models on the validation set. Ranges: docs/calibration.md.
"""

from __future__ import annotations

import numpy as np

from autograder.grading.checks.base import Evidence, as_array, require

SWEEP = {"start": 1e-5, "stop": 10.0, "batches": 150}
SHOOT_UP = 4.0  # a loss above this many times the lowest before it ends the sweep
FRESH_LOSS = (1.8, 3.0)  # ln(10) = 2.30: an untrained ten-class softmax
# What the rule of thumb gives for the 784-300-100-10 network (6 seeds: SGD 0.011-0.051, Adam
# 0.001-0.003; RMSprop 0.00016-0.00072 over 6 more; docs/calibration.md), widened about 3x each way.
TUNED_RANGE = {"SGD": (3e-3, 0.3), "RMSprop": (5e-5, 3e-3), "Adam": (1e-4, 0.03)}
TUNED = tuple(TUNED_RANGE)  # the optimizers of the tuned comparison, in the notebook's order
TUNED_EPOCHS, STEPS_PER_EPOCH = 3, 430
# Between the tuned reference (test accuracy after 3 epochs: SGD 0.959-0.969, Adam 0.968-0.977) and plain SGD at
# its default rate (0.904-0.912), two points from each. RMSprop's sweep shoots up early (its first steps are far
# larger than its rate), so the rule of thumb gives it 0.00011-0.001 and 3 epochs reach 0.943-0.978 over 11 seeds:
# its floor sits 1.3 points under that minimum and 2 over the untuned SGD. docs/calibration.md.
MIN_TUNED_ACCURACY = {"SGD": 0.94, "RMSprop": 0.93, "Adam": 0.94}
PICK_RANGE = (1 / 30, 1 / 3)  # of the rate at the lowest loss: "about ten times smaller"
GAP_TOLERANCE = 0.002  # 10 of the 5 000 validation images


def sweep_parameters(rng: np.random.Generator) -> dict:
    return {"seed": int(rng.integers(1_000_000)), "start": float(10 ** rng.uniform(-5, -4)),
            "stop": float(10 ** rng.uniform(0.5, 1.5)), "batches": int(rng.integers(30, 60)),
            "batch_size": int(rng.choice([32, 64, 96]))}


def _stop_index(losses: np.ndarray) -> int | None:
    """Where the rule stops a sweep: the first loss that is not finite or over SHOOT_UP x the lowest before it."""
    for i, loss in enumerate(losses):
        if not np.isfinite(loss) or (i > 0 and loss > SHOOT_UP * losses[:i].min()):
            return i
    return None


def _check_sweep(ev: Evidence, prefix: str, name: str, start: float, stop: float, batches: int) -> np.ndarray:
    rates = ev.array(f"{prefix}_rates", ndim=1, what=f"the rates of the {name} sweep")
    losses = ev.array(f"{prefix}_losses", ndim=1, what=f"the losses of the {name} sweep",
                      finite=False)
    require(len(rates) == len(losses) >= 2, f"the {name} sweep should return two arrays of equal length (rates and "
                                            f"losses), got {len(rates)} and {len(losses)}")
    require(len(rates) <= batches, f"the {name} sweep used {len(rates)} rates, more than the {batches} batches asked for")
    require(np.allclose(rates, np.geomspace(start, stop, batches)[:len(rates)], rtol=1e-6, atol=0),
            f"the {name} sweep's rates should be np.geomspace({start:.3g}, {stop:.3g}, {batches}) in order, one per batch")
    stop_at = _stop_index(losses)
    if stop_at is None:
        require(len(losses) == batches, f"the {name} sweep stopped after {len(losses)} batches, but no loss had shot up "
                                        f"(over {SHOOT_UP:g} times the lowest before it) or stopped being finite")
    else:
        require(stop_at == len(losses) - 1,
                f"the {name} sweep should stop right after batch {stop_at + 1}, whose loss was not finite or over "
                f"{SHOOT_UP:g} times the lowest before it; it went on to {len(losses)}")
    return losses


def lr_sweep(ev: Evidence, challenge: dict) -> None:
    _check_sweep(ev, "given", "grader's", challenge["start"], challenge["stop"], challenge["batches"])
    for prefix, name in (("adam", "Adam"),):
        losses = _check_sweep(ev, prefix, name, **SWEEP)
        require(FRESH_LOSS[0] < losses[0] < FRESH_LOSS[1],
                f"the {name} sweep's first loss is {losses[0]:.3g}; a fresh build_mlp() starts near ln(10) = 2.3")
        require(np.nanmin(losses) < 1.0, f"the {name} sweep's loss never fell below 1: is it training on MNIST batches?")
        require(len(losses) < SWEEP["batches"], f"the {name} sweep should have stopped once its loss shot up")


def _made_up_sweep(rng: np.random.Generator, lowest: float, ending: str) -> dict:
    """A loss that falls, is lowest at 10**lowest and then climbs steeply, with batch noise; cut where it shoots up."""
    rates = np.geomspace(SWEEP["start"], SWEEP["stop"], SWEEP["batches"])
    x = np.log10(rates)
    clean = 0.3 + 2.0 / (1 + np.exp(4 * (x - lowest + 1))) + 30 * np.clip(x - lowest, 0, None) ** 2
    losses = clean + rng.normal(0, 0.01, size=clean.shape)
    end = _stop_index(losses)
    end = len(losses) if end is None else end + 1
    losses = losses[:end].copy()
    if ending != "number":
        losses[-1] = float(ending)
    return {"rates": rates[:end].tolist(), "losses": losses.tolist()}


def made_up_sweeps(rng: np.random.Generator) -> dict:
    centres = rng.uniform(-3.5, -0.5, size=4)
    return {"sweeps": [_made_up_sweep(rng, centre, ending)
                       for centre, ending in zip(centres, rng.permutation(["number", "nan", "inf", "nan"]))]}


def _lowest_rate(sweep: dict) -> float:
    """Where the made-up sweep's loss is lowest, found as a student would: the challenge carries no answer."""
    losses = np.asarray(sweep["losses"], dtype=float)
    return float(np.asarray(sweep["rates"])[np.argmin(np.where(np.isfinite(losses), losses, np.inf))])


def pick_learning_rate(ev: Evidence, challenge: dict) -> None:
    picks = ev.value("picks")
    require(isinstance(picks, list) and len(picks) == len(challenge["sweeps"]),
            "pick_learning_rate gave no answer for some of the grader's sweeps")
    for sweep, pick in zip(challenge["sweeps"], picks):
        pick = float(as_array(pick, "a picked rate").reshape(-1)[0])
        lowest = _lowest_rate(sweep)
        require(PICK_RANGE[0] * lowest <= pick <= PICK_RANGE[1] * lowest,
                f"on a sweep whose loss is lowest at rate {lowest:.3g} you picked {pick:.3g}: pick about ten times "
                "lower than the lowest point (and skip losses that are nan or inf)")


def tuned_optimizers(ev: Evidence, challenge: dict, check_architecture, accuracy) -> None:
    rates = ev.mapping("tuned_rates")
    for name in TUNED:
        rate = rates.get(name)
        require(isinstance(rate, (int, float)) and TUNED_RANGE[name][0] <= rate <= TUNED_RANGE[name][1],
                f"tuned_rates[{name!r}] = {rate!r}: a sweep of this network with the rule of thumb gives a rate between "
                f"{TUNED_RANGE[name][0]:g} and {TUNED_RANGE[name][1]:g}")
        model = ev.model(f"{name.lower()}_model", f"{name.lower()}_model")
        check_architecture(model)
        require(model.facts.get("optimizer") == name, f"{name.lower()}_model should be compiled with keras.optimizers.{name}")
        compiled_rate = model.facts.get("learning_rate")
        require(isinstance(compiled_rate, (int, float)) and np.isclose(compiled_rate, rate, rtol=1e-4),
                f"{name.lower()}_model should train at tuned_rates[{name!r}] = {rate:.3g}, not {compiled_rate!r}")
        steps = model.facts.get("optimizer_iterations")
        require(steps == TUNED_EPOCHS * STEPS_PER_EPOCH,
                f"{name.lower()}_model took {steps} optimizer steps; {TUNED_EPOCHS} epochs of batches of 128 are "
                f"{TUNED_EPOCHS * STEPS_PER_EPOCH}")
        epochs = len(ev.history(f"{name.lower()}_history", f"{name.lower()}_history.history",
                                metrics=("loss", "val_accuracy"))["loss"])
        require(epochs == TUNED_EPOCHS, f"{name.lower()}_history should hold {TUNED_EPOCHS} epochs, holds {epochs}")
        measured = accuracy(model)
        require(measured >= MIN_TUNED_ACCURACY[name],
                f"{name.lower()}_model scores {measured:.4f} on the test set (measured by the grader); at a well-tuned "
                f"rate 3 epochs give at least {MIN_TUNED_ACCURACY[name]}")


def optimizer_gap(ev: Evidence, challenge: dict, validation_accuracy) -> None:
    measured = {key: validation_accuracy(ev.model(key)) for key in ("adam_model", "sgd_model", "default_sgd_model")}
    untuned = measured["adam_model"] - measured["default_sgd_model"]
    tuned = measured["adam_model"] - measured["sgd_model"]
    for key, truth in (("gap_untuned", untuned), ("gap_tuned", tuned)):
        stated = ev.number(key)
        require(abs(stated - truth) <= GAP_TOLERANCE,
                f"{key.upper()} = {stated:+.4f}, but the grader measures {truth:+.4f} on the validation set (Adam's "
                "accuracy minus SGD's, as fractions)")
    right = "B" if abs(tuned) < untuned / 2 else "A"
    require(ev.text("conclusion") == right,
            f"CONCLUSION: with these gaps ({untuned:+.4f} untuned, {tuned:+.4f} tuned) the statement that holds is {right!r}")


def optimizer_choice(ev: Evidence, challenge: dict, validation_accuracy) -> None:
    """The optimizer chosen on validation: the grader's own measurement of the three tuned models decides."""
    chosen = ev.text("chosen")
    require(chosen in TUNED, f"CHOSEN_OPTIMIZER should be one of {list(TUNED)}, not {chosen!r}")
    measured = {name: validation_accuracy(ev.model(f"{name.lower()}_model")) for name in TUNED}
    best = max(measured.values())
    require(measured[chosen] >= best - GAP_TOLERANCE,
            f"CHOSEN_OPTIMIZER = {chosen!r}, but the grader measures these validation accuracies: "
            + ", ".join(f"{name} {value:.4f}" for name, value in measured.items())
            + f"; choose the highest (a model within {GAP_TOLERANCE} of it ties)")


def own_rate(ev: Evidence, challenge: dict) -> None:
    """04 exercise 6: the open model starts at a rate chosen from a sweep of its own architecture. The grader checks
    the recorded sweep as it checks exercise 4's, finds its lowest point, and reads the starting rate from the saved
    model's configuration, not from the notebook."""
    losses = _check_sweep(ev, "own", "own network's", **SWEEP)
    require(FRESH_LOSS[0] < losses[0] < FRESH_LOSS[1],
            f"the own network's sweep starts at loss {losses[0]:.3g}; a fresh ten-class network starts near ln(10) = 2.3: "
            "sweep a new build_own_model(), not the trained one")
    rates = ev.array("own_rates", ndim=1)
    lowest = float(rates[np.argmin(np.where(np.isfinite(losses), losses, np.inf))])
    chosen = ev.number("own_rate", "OWN_RATE")
    low, high = PICK_RANGE[0] * lowest, PICK_RANGE[1] * lowest
    require(low <= chosen <= high, f"OWN_RATE = {chosen:.3g}, but your network's sweep was lowest at rate {lowest:.3g}: "
                                   f"a starting rate from it lies between {low:.3g} and {high:.3g}")
    start = ev.model("model", "mnist_model").facts.get("initial_learning_rate")
    require(isinstance(start, (int, float)) and np.isclose(start, chosen, rtol=1e-4, atol=0),
            f"mnist_model starts training at learning rate {start!r}, not at OWN_RATE = {chosen:.3g}: pass OWN_RATE as the "
            "optimizer's learning_rate, or as the initial rate of a schedule")
