"""QDA probes: scikit-learn's QDA, standardised, with a singular-covariance fallback."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.linalg import LinAlgError
from sklearn.cross_decomposition import PLSRegression
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis as QDA

from facecues.pls import PLS1
from facecues.qda import qda_accuracy, qda_fit, qda_predict


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
