"""QDA probes: scikit-learn's QDA, standardised, with a singular-covariance fallback."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.linalg import LinAlgError
from sklearn.cross_decomposition import PLSRegression
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis as QDA

from facecues.probes.pls import PLS1
from facecues.probes.qda import (
    qda_accuracy,
    qda_accuracy_many,
    qda_decision_many,
    qda_fit,
    qda_fit_predict_many,
    qda_predict,
)


def relu_data(n, m, seed, n_informative=50, shift=0.7):
    """Non-negative ReLU-like activations, balanced labels, ~20% dead units."""
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(n) % 2 == 0, -1.0, 1.0)
    rng.shuffle(y)
    Z = rng.standard_normal((n, m)) - 0.3
    Z[:, :n_informative] += shift * y[:, None] * rng.uniform(0.2, 1.0, n_informative)
    X = np.maximum(Z, 0.0)
    X[:, rng.random(m) < 0.2] = 0.0
    return X, y


def split(X, y, n):
    return X[:n], y[:n], X[n:], y[n:]


def test_pls_qda_predictions_equal_sklearn_where_sklearn_runs():
    # m ~ n: sklearn's default QDA fits; the whole probe must agree with the
    # authors' path (PLSRegression + QDA defaults) prediction for prediction.
    X, y = relu_data(600, 300, seed=1)
    Xt, yt, Xe, ye = split(X, y, 300)
    ref = PLSRegression(n_components=8).fit(Xt, yt)
    ref_pred = QDA().fit(ref.x_scores_, yt).predict(ref.transform(Xe))
    me = PLS1(n_components=8).fit(Xt, yt)
    probe = qda_fit(me.x_scores_, yt)
    assert not probe.fallback_used_ and probe.reg_param_ == 0.0
    np.testing.assert_array_equal(probe.predict(me.transform(Xe)), ref_pred)
    ref_dec = QDA().fit(ref.x_scores_, yt).decision_function(ref.transform(Xe))
    np.testing.assert_allclose(probe.decision_function(me.transform(Xe)), ref_dec, rtol=1e-8)


def test_near_singular_pls_scores_m_much_larger_than_n():
    # m >> n: the 8 training scores nearly interpolate y, a class covariance is
    # nearly singular and scikit-learn 1.9's default QDA refuses it.
    X, y = relu_data(600, 2_500, seed=2)
    Xt, yt, Xe, ye = split(X, y, 300)
    me = PLS1(n_components=8).fit(Xt, yt)
    Ft, Fe = me.x_scores_, me.transform(Xe)
    with pytest.raises(LinAlgError):
        QDA().fit(Ft, yt)
    # Nearly but not numerically singular: the unregularised QDA (the authors'
    # model) is kept, and predicts exactly as scikit-learn's with the rank test off.
    probe = qda_fit(Ft, yt)
    assert not probe.fallback_used_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = QDA(tol=0.0).fit(Ft, yt).predict(Fe)
    np.testing.assert_array_equal(probe.predict(Fe), ref)
    assert qda_accuracy(Ft, yt, Fe, ye) > 0.75
    # A fixed reg_param is honoured.
    reg = qda_fit(Ft, yt, reg_param=1e-3)
    assert reg.reg_param_ == 1e-3 and not reg.fallback_used_


def test_single_neuron_constant_on_one_class():
    rng = np.random.default_rng(3)
    y = np.repeat([-1.0, 1.0], 500)
    x = np.where(y > 0, np.maximum(0.01 * rng.standard_normal(1000) + 0.002, 0.0), 0.0)
    with pytest.raises(LinAlgError):
        QDA().fit(x[:, None], y)
    probe = qda_fit(x, y)
    assert probe.fallback_used_ and probe.reg_param_ == 1e-4
    # zero -> the class that is always zero; clearly positive -> the other one
    np.testing.assert_array_equal(probe.predict(np.array([0.0, 0.02, 0.05])), [-1.0, 1.0, 1.0])
    ye = np.repeat([-1.0, 1.0], 2000)
    xe = np.where(ye > 0, np.maximum(0.01 * rng.standard_normal(4000) + 0.002, 0.0), 0.0)
    ideal = np.mean((xe > 0) == (ye > 0))
    assert qda_accuracy(x, y, xe, ye) == pytest.approx(ideal, abs=0.01)
    with pytest.raises(LinAlgError):
        qda_fit(x, y, fallback_reg_param=None)


def test_dead_neuron_is_chance():
    y = np.repeat([-1.0, 1.0], 100)
    probe = qda_fit(np.zeros((200, 1)), y)
    assert probe.fallback_used_
    assert qda_accuracy(np.zeros(200), y, np.zeros(60), np.repeat([-1.0, 1.0], 30)) == 0.5


def test_small_magnitude_neuron_is_not_called_singular():
    # Raw activations can be tiny; scikit-learn's absolute tol=1e-4 calls this
    # variance singular, the standardised fit does not (QDA is affine invariant).
    rng = np.random.default_rng(4)
    y = np.repeat([-1.0, 1.0], 400)
    x = 0.003 * rng.standard_normal(800) + 0.004 * y
    xe = 0.003 * rng.standard_normal(800) + 0.004 * y
    with pytest.raises(LinAlgError):
        QDA().fit(x[:, None], y)
    probe = qda_fit(x, y)
    assert not probe.fallback_used_
    ref = QDA(tol=0.0).fit(x[:, None], y).predict(xe[:, None])
    np.testing.assert_array_equal(probe.predict(xe), ref)
    np.testing.assert_array_equal(qda_predict(x[:, None], y, xe[:, None]), ref)


def test_constant_feature_among_others():
    rng = np.random.default_rng(5)
    y = np.repeat([-1.0, 1.0], 200)
    F = np.column_stack([rng.standard_normal(400) + y, np.full(400, 2.5)])
    probe = qda_fit(F, y)
    assert probe.fallback_used_
    Fe = np.column_stack([rng.standard_normal(400) + y, np.full(400, 2.5)])
    one = qda_accuracy(F[:, :1], y, Fe[:, :1], y)
    assert qda_accuracy(F, y, Fe, y) == pytest.approx(one, abs=0.02)


def test_input_checks():
    with pytest.raises(ValueError):
        qda_fit(np.zeros((10, 2)), np.zeros(9))


# ---------------------------------------------------------------------------
# The batched path: qda_fit_predict_many / qda_accuracy_many / qda_decision_many
# against qda_fit one probe at a time and against scikit-learn itself.
# ---------------------------------------------------------------------------


def _sklearn_probe(f, y, e, reg_param=0.0, fallback_reg_param=1e-4, tol=1e-10):
    """The policy written out directly on scikit-learn (not through qda_fit)."""
    f = np.asarray(f, dtype=np.float64).reshape(len(y), -1)
    e = np.asarray(e, dtype=np.float64).reshape(-1, f.shape[1])
    mean, sd = f.mean(axis=0), f.std(axis=0)
    sd[sd == 0.0] = 1.0
    z, ze = (f - mean) / sd, (e - mean) / sd
    try:
        q, reg = QDA(reg_param=reg_param, tol=tol).fit(z, y), reg_param
    except LinAlgError:
        q, reg = QDA(reg_param=fallback_reg_param, tol=tol).fit(z, y), fallback_reg_param
    return q.predict(ze), q.decision_function(ze), reg


def _assert_many_equals_references(train, y, evals, y_eval=None, **kwargs):
    """Batched == qda_fit loop == scikit-learn: predictions and reg exactly,
    decision values to 1e-8 (relative to the probe's largest value)."""
    pred, reg = qda_fit_predict_many(train, y, evals, **kwargs)
    dec, reg_d = qda_decision_many(train, y, evals, **kwargs)
    assert len(pred) == len(dec) == len(train) and reg.shape == (len(train),)
    np.testing.assert_array_equal(reg_d, reg)
    for i, (f, e) in enumerate(zip(train, evals, strict=True)):
        probe = qda_fit(f, y, **kwargs)
        sk_pred, sk_dec, sk_reg = _sklearn_probe(f, y, e, **kwargs)
        assert reg[i] == probe.reg_param_ == sk_reg, i
        assert pred[i].dtype == sk_pred.dtype, i
        np.testing.assert_array_equal(pred[i], probe.predict(e), err_msg=f"probe {i}")
        np.testing.assert_array_equal(pred[i], sk_pred, err_msg=f"probe {i}")
        scale = max(1.0, float(np.max(np.abs(sk_dec))))
        np.testing.assert_allclose(
            dec[i], sk_dec, rtol=1e-8, atol=1e-8 * scale, err_msg=f"probe {i}"
        )
        np.testing.assert_allclose(
            dec[i], probe.decision_function(e), rtol=1e-8, atol=1e-8 * scale, err_msg=f"probe {i}"
        )
    if y_eval is not None:
        acc, reg_a = qda_accuracy_many(train, y, evals, y_eval, **kwargs)
        np.testing.assert_array_equal(reg_a, reg)
        ref = [qda_accuracy(f, y, e, y_eval, **kwargs) for f, e in zip(train, evals, strict=True)]
        np.testing.assert_array_equal(acc, ref)
    return pred, dec, reg


LABEL_SETS = [
    np.array([0, 1]),
    np.array([-1.0, 1.0]),
    np.array(["smiling", "neutral"]),
    np.array([7, 3, 5]),  # three classes, listed out of np.unique order
]


@pytest.mark.parametrize("seed", range(8))
def test_many_random_problems_equal_loop_and_sklearn(seed):
    rng = np.random.default_rng(100 + seed)
    labels = LABEL_SETS[seed % len(LABEL_SETS)]
    n = int(rng.integers(20, 601))
    n_eval = int(rng.integers(10, 400))
    K = len(labels)
    # unbalanced, but every class keeps more rows than features (d <= 8)
    weights = rng.uniform(0.2, 1.0, K)
    rest = rng.choice(K, n - 10 * K, p=weights / weights.sum())
    codes = np.concatenate([np.arange(K).repeat(10), rest])
    rng.shuffle(codes)
    eval_codes = rng.choice(K, n_eval)
    y, y_eval = labels[codes], labels[eval_codes]
    train, evals = [], []
    for _ in range(30):
        d = int(rng.integers(1, 9))
        scale = 10.0 ** rng.uniform(-6, 6, d)  # wildly different magnitudes
        offset = rng.normal(0, 1, d) * 10.0 ** rng.uniform(-3, 3, d)
        shift = rng.normal(0, 0.8, (K, d))
        spread = rng.uniform(0.3, 2.0, (K, d))

        def draw(c, d=d, scale=scale, offset=offset, shift=shift, spread=spread):
            mix = rng.normal(0, 0.5, (d, d)) + np.eye(d)  # correlated features
            x = (rng.standard_normal((len(c), d)) * spread[c] + shift[c]) @ mix
            return x * scale + offset

        f, e = draw(codes), draw(eval_codes)
        if rng.random() < 0.3:  # 1-D arrays are accepted for one feature
            f, e = f[:, :1].ravel(), e[:, :1].ravel()
        train.append(f)
        evals.append(e)
    pred, _, reg = _assert_many_equals_references(train, y, evals, y_eval)
    assert np.all(reg == 0.0)  # generic data: nothing singular
    # the probes are not trivial: they disagree with each other
    assert len({p.tobytes() for p in pred}) > 20


def test_many_singular_cases_each_probe_its_own_reg():
    rng = np.random.default_rng(11)
    y = np.repeat([1.0, -1.0], [300, 200])  # classes_ = [-1, 1]; -1 is the first class
    n_eval = 300
    y_eval = np.where(rng.random(n_eval) < 0.5, -1.0, 1.0)

    def relu(c):
        return np.maximum(rng.standard_normal(len(c)) + 0.8 * c, 0.0)

    def zero_on_minus(c):  # 0 on the whole class -1, ReLU-like on class 1
        return np.where(c > 0, np.maximum(rng.standard_normal(len(c)) + 0.2, 0.0), 0.0)

    probes = [
        (relu(y), relu(y_eval)),  # 0: generic single neuron
        (zero_on_minus(y), zero_on_minus(y_eval)),  # 1: constant on one class
        (np.zeros(500), np.zeros(n_eval)),  # 2: dead neuron
        (np.zeros(500), relu(y_eval)),  # 3: dead in training, alive in eval
        (np.full(500, 0.1), np.full(n_eval, 0.1)),  # 4: constant, not exactly representable
        (np.column_stack([relu(y), relu(y)]), np.column_stack([relu(y_eval), relu(y_eval)])),  # 5
        (
            np.column_stack([relu(y), zero_on_minus(y), relu(y)]),
            np.column_stack([relu(y_eval), zero_on_minus(y_eval), relu(y_eval)]),
        ),  # 6
        (
            np.column_stack([relu(y), np.full(500, 2.5)]),
            np.column_stack([relu(y_eval), np.full(n_eval, 2.5)]),
        ),  # 7: constant column
        (
            np.column_stack([relu(y), relu(y), 2 * relu(y)]),
            np.column_stack([relu(y_eval), relu(y_eval), relu(y_eval)]),
        ),  # 8
    ]
    a = probes[8][0]
    collinear = np.column_stack([a[:, 0], a[:, 1], a[:, 0] - 3 * a[:, 1]])
    probes[8] = (collinear, probes[8][1])  # 8: exactly collinear columns
    train, evals = [p[0] for p in probes], [p[1] for p in probes]
    pred, dec, reg = _assert_many_equals_references(train, y, evals, y_eval)
    expected = np.array([0, 1, 1, 1, 1, 0, 1, 1, 1]) * 1e-4
    np.testing.assert_array_equal(reg, expected)
    # dead neurons: the decision is the log prior ratio, the prediction the majority class
    for i in (2, 3, 4):
        # (up to rounding: both classes' terms are large when eval x != 0)
        np.testing.assert_allclose(dec[i], np.log(300 / 200), rtol=0, atol=1e-9)
        assert np.all(pred[i] == 1.0)
    # ... and with balanced priors an exact tie, which goes to the first class
    yb = np.repeat([1.0, -1.0], 250)
    pb, rb = qda_fit_predict_many(
        [np.zeros(500), np.zeros(500)], yb, [np.zeros(7), relu(np.ones(7))]
    )
    np.testing.assert_array_equal(rb, [1e-4, 1e-4])
    for p in pb:
        np.testing.assert_array_equal(p, -1.0)
    _assert_many_equals_references(
        [np.zeros(500), np.zeros((500, 2))], yb, [relu(np.ones(7)), np.ones((7, 2))]
    )
    # a constant-on-one-class neuron: zero -> that class, clearly positive -> the other
    p1, _ = qda_fit_predict_many([probes[1][0]], y, [np.array([0.0, 0.5, 1.5])])
    np.testing.assert_array_equal(p1[0], [-1.0, 1.0, 1.0])


def test_many_mixed_batch_equals_each_probe_alone():
    # In one stacked group, a singular probe's fallback must not leak into
    # its neighbours, nor theirs into it.
    rng = np.random.default_rng(12)
    y = np.repeat([0, 1], 256)
    train, evals = [], []
    for i in range(12):
        f = rng.standard_normal((512, 4)) + 0.5 * y[:, None]
        if i % 3 == 1:
            f[y == 0, i % 4] = 0.0  # one feature constant on class 0
        train.append(f)
        evals.append(rng.standard_normal((1024, 4)) + 0.5)
    pred, reg = qda_fit_predict_many(train, y, evals)
    np.testing.assert_array_equal(reg, [1e-4 if i % 3 == 1 else 0.0 for i in range(12)])
    dec, _ = qda_decision_many(train, y, evals)
    for i in range(12):
        alone_pred, alone_reg = qda_fit_predict_many([train[i]], y, [evals[i]])
        alone_dec, _ = qda_decision_many([train[i]], y, [evals[i]])
        assert alone_reg[0] == reg[i]
        np.testing.assert_array_equal(alone_pred[0], pred[i])
        np.testing.assert_allclose(alone_dec[0], dec[i], rtol=1e-12)
    _assert_many_equals_references(train, y, evals)


@pytest.mark.parametrize("seed", [2, 6])
def test_many_near_interpolating_pls_scores_no_fallback(seed):
    # m >> n: PLS(8) training scores nearly interpolate y; scikit-learn's
    # default tol refuses them, tol=1e-10 on standardised scores does not,
    # and the batched path must not call the fallback either.
    X, y = relu_data(600, 2_500, seed=seed)
    Xt, yt, Xe, ye = split(X, y, 300)
    train, evals = [], []
    for k in (8, 5, 1):
        me = PLS1(n_components=k).fit(Xt, yt)
        train.append(me.x_scores_)
        evals.append(me.transform(Xe))
    with pytest.raises(LinAlgError):
        QDA().fit(train[0], yt)
    pred, dec, reg = _assert_many_equals_references(train, yt, evals, ye)
    np.testing.assert_array_equal(reg, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = QDA(tol=0.0).fit(train[0], yt).predict(evals[0])
    np.testing.assert_array_equal(pred[0], ref)
    assert np.mean(pred[0] == ye) > 0.75


def test_many_rank_test_at_the_threshold():
    # Features whose smallest standardised class variance sits just above or
    # just below tol: the batched rank test must decide as scikit-learn's.
    rng = np.random.default_rng(13)
    y = np.repeat([0, 1], [150, 130])
    a, b = rng.standard_normal(280) + y, rng.standard_normal(280)
    noise = rng.standard_normal(280)
    noise[y == 1] = rng.standard_normal(130)
    train = [np.column_stack([a, b, a + b + eps * noise]) for eps in np.geomspace(1e-7, 1e-3, 41)]
    evals = [rng.standard_normal((50, 3)) for _ in train]
    _, _, reg = _assert_many_equals_references(train, y, evals)
    assert 0 < np.count_nonzero(reg) < len(reg)  # both sides of the threshold were hit
    assert np.all(np.diff(reg) <= 0)  # singular for small eps only


def test_many_groups_chunks_and_eval_sizes(monkeypatch):
    # Probes of different d and different eval sizes, interleaved, and groups
    # split into chunks: every probe still lands in its own slot.
    import facecues.probes.qda as qda

    rng = np.random.default_rng(14)
    y = np.repeat(["b", "a"], [90, 110])
    train, evals = [], []
    for i in range(25):
        d = 1 + i % 3
        train.append(rng.standard_normal((200, d)) * (1 + (y == "a")[:, None] * (i % 5)))
        evals.append(rng.standard_normal((10 + 7 * (i % 4), d)) * 2)
    full, reg = qda.qda_fit_predict_many(train, y, evals)
    monkeypatch.setattr(qda, "_CHUNK_ELEMENTS", 1_000)
    chunked, reg_c = qda.qda_fit_predict_many(train, y, evals)
    np.testing.assert_array_equal(reg_c, reg)
    for p, q, e in zip(full, chunked, evals, strict=True):
        assert p.shape == (len(e),)
        np.testing.assert_array_equal(p, q)
    _assert_many_equals_references(train, y, evals)


def test_many_errors_match_the_loop():
    rng = np.random.default_rng(15)
    y = np.repeat([0, 1], 50)
    good = rng.standard_normal((100, 2))
    bad = good.copy()
    bad[y == 0, 1] = 3.0  # constant on class 0
    e = rng.standard_normal((5, 2))
    # no fallback: the singular probe is named
    with pytest.raises(LinAlgError, match="probe 2"):
        qda_fit_predict_many([good, good, bad], y, [e, e, e], fallback_reg_param=None)
    with pytest.raises(LinAlgError):
        qda_fit(bad, y, fallback_reg_param=None)
    # a fallback no larger than reg_param is no fallback (1e-12 is still below tol)
    with pytest.raises(LinAlgError, match="probe 1"):
        qda_fit_predict_many([good, bad], y, [e, e], reg_param=1e-12, fallback_reg_param=1e-13)
    with pytest.raises(LinAlgError):
        qda_fit(bad, y, reg_param=1e-12, fallback_reg_param=1e-13)
    # reg_param alone can make it regular: then no fallback
    _, reg = qda_fit_predict_many([good, bad], y, [e, e], reg_param=1e-3)
    np.testing.assert_array_equal(reg, [1e-3, 1e-3])
    # a class with no more rows than features is singular whatever the reg
    few = np.array([0] * 95 + [1] * 5)
    f6 = rng.standard_normal((100, 6))
    with pytest.raises(LinAlgError):
        qda_fit(f6, few)
    with pytest.raises(LinAlgError, match="probe 0"):
        qda_fit_predict_many([f6], few, [np.zeros((2, 6))])
    # scikit-learn's label checks
    for labels in (np.zeros(100), np.array([0] * 99 + [1]), np.linspace(0, 1, 100)):
        with pytest.raises(ValueError):
            qda_fit(good, labels)
        with pytest.raises(ValueError):
            qda_fit_predict_many([good], labels, [e])
    # shapes and values
    with pytest.raises(ValueError):
        qda_fit_predict_many([good], y[:99], [e])
    with pytest.raises(ValueError):
        qda_fit_predict_many([good], y, [e[:, :1]])
    with pytest.raises(ValueError):
        qda_fit_predict_many([good, good], y, [e])
    with pytest.raises(ValueError):
        qda_accuracy_many([good], y, [e], np.zeros(4))
    with pytest.raises(ValueError):
        qda_fit(good, y).predict(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="probe 0"):
        qda_fit_predict_many([good], y, [np.zeros((0, 2))])
    with pytest.raises(ValueError):
        qda_fit(np.zeros((100, 0)), y)
    with pytest.raises(ValueError, match="probe 1"):
        qda_fit_predict_many([good, np.zeros((100, 0))], y, [e, np.zeros((5, 0))])
    nan = good.copy()
    nan[3, 0] = np.nan
    with pytest.raises(ValueError, match="probe 1"):
        qda_fit_predict_many([good, nan], y, [e, e])
