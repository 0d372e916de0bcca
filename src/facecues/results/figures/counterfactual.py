"""The counterfactual figures (docs/protocol.md section 14): what changing one attribute
in the same photo costs recognition, and where in depth the change moves the face.

``fig_counterfactual_fnmr``: per attribute, the rise of the false non-match rate at the
fixed FMR, each trained network with its bootstrap interval over people and their mean
with its interval over networks (``facecues.results.counterfactual``), the untrained
networks' mean beside; identity-bound and per-image attributes in two colours, the
nuisance controls in grey with the project's ±3 p.p. band; on the right the planted
contrast per network against its thresholds.

``fig_counterfactual_depth``: per attribute, the sensitivity (the change's activation
distance in units of the distance between two photos of the same person) over the probe
points, the trained networks' mean with a ±2 std band and the untrained networks' mean
faint, the nuisance controls' mean dashed; the last panel the controls one by one.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D

from facecues.nets.layout import Depths, point_index
from facecues.results.counterfactual import (
    CONTRAST,
    CONTROL,
    CONTROL_MARGIN,
    FLIP,
    TRAINED,
    UNTRAINED,
    UNTRAINED_MARGIN,
    USED_MARGIN,
    estimates,
    split,
)
from facecues.results.figures.style import FULL_WIDTH, panel_grid, save, stage_axis, theme

_PALETTE = sns.color_palette("colorblind", 3)
#: The colour of each planted kind (a nuisance control's: grey).
KIND_COLORS = {"identity": _PALETTE[0], "image": _PALETTE[1], CONTROL: (0.45, 0.45, 0.45)}
KIND_LABELS = {"identity": "identity-bound", "image": "per-image", CONTROL: "nuisance control"}
NETWORK_MARKERS = ("o", "s", "^", "v", "P", "X", "<", ">")
#: The line of each nuisance control in the depth figure's last panel.
CONTROL_STYLES = ((0, (4, 1.5)), "-.", ":")


def _order(rows: pd.DataFrame, kinds: dict[str, str], est: dict) -> list[tuple[str, str]]:
    """(variant, kind) from top to bottom: identity-bound, per-image (each by decreasing
    mean rise), then the nuisance controls."""
    variants = rows.drop_duplicates("variant")
    groups = {"identity": [], "image": [], CONTROL: []}
    for v, k in zip(variants["variant"], variants["kind"], strict=True):
        kind = CONTROL if k == CONTROL else kinds.get(v) if k == FLIP else None
        if kind in groups:
            groups[kind].append(v)
    out = []
    for kind, vs in groups.items():
        mean = {
            v: est[v, "fnmr_rise", TRAINED].value for v in vs if (v, "fnmr_rise", TRAINED) in est
        }
        out += [(v, kind) for v in sorted(vs, key=lambda v: -np.nan_to_num(mean.get(v, 0.0)))]
    return out


def _rise_panel(ax, rows: pd.DataFrame, kinds: dict[str, str]) -> None:
    """Each variant's FNMR rise: the networks, their mean and the untrained mean; the
    legend's (handles, labels)."""
    trained, untrained = split(rows)
    est = estimates(rows)
    order = _order(rows, kinds, est)
    networks = sorted(trained["network"].unique())
    xlim = _limits(trained, est)
    offsets = np.linspace(-0.22, 0.22, len(networks)) if len(networks) > 1 else [0.0]
    ax.axvspan(-100 * CONTROL_MARGIN, 100 * CONTROL_MARGIN, color="0.92", zorder=0)
    ax.axvline(0, color="k", lw=0.6)
    for y, (variant, kind) in enumerate(order):
        color = KIND_COLORS[kind]
        for i, (off, net) in enumerate(zip(offsets, networks, strict=True)):
            marker = NETWORK_MARKERS[i % len(NETWORK_MARKERS)]
            r = trained[(trained["network"] == net) & (trained["variant"] == variant)]
            if r.empty:
                continue
            r = r.iloc[0]
            ax.errorbar(
                100 * r.fnmr_rise,
                y + off,
                xerr=[
                    [100 * (r.fnmr_rise - r.fnmr_rise_lo)],
                    [100 * (r.fnmr_rise_hi - r.fnmr_rise)],
                ],
                fmt=marker,
                ms=3,
                color=color,
                alpha=0.75,
                lw=0.8,
                capsize=1.5,
            )
        mean = est.get((variant, "fnmr_rise", TRAINED))
        if mean is not None and np.isfinite(mean.value):
            lo, hi = _clipped(ax, y, 100 * mean.low, 100 * mean.high, xlim)
            ax.errorbar(
                100 * mean.value,
                y,
                xerr=[[100 * mean.value - lo], [hi - 100 * mean.value]],
                fmt="D",
                ms=5,
                mfc=color,
                mec="k",
                color="k",
                lw=1.3,
                capsize=3,
                zorder=3,
            )
        u = est.get((variant, "fnmr_rise", UNTRAINED))
        if u is not None and np.isfinite(u.value) and not untrained.empty:
            ax.plot(100 * u.value, y, marker="x", ms=5, color="0.35", ls="", zorder=3)
    ax.set_yticks(range(len(order)), [v.replace("_", " ") for v, _ in order], fontsize=7)
    for label, (_, kind) in zip(ax.get_yticklabels(), order, strict=True):
        label.set_color(KIND_COLORS[kind])
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_xlim(*xlim)
    ax.set_xlabel(f"FNMR rise at FMR = {_fmr(rows)} (p.p.)", fontsize=8)
    ax.set_title("changing one attribute in the same photo", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    handles = [Line2D([], [], ls="", marker="s", color=KIND_COLORS[k]) for k in KIND_LABELS]
    labels = list(KIND_LABELS.values())
    handles += [
        Line2D([], [], ls="-", marker=NETWORK_MARKERS[i % len(NETWORK_MARKERS)], ms=3, color="0.3")
        for i in range(len(networks))
    ]
    labels += [f"network {n} (95% bootstrap over people)" for n in networks]
    handles.append(Line2D([], [], ls="-", marker="D", ms=5, mfc="0.7", mec="k", color="k"))
    labels.append(f"mean over {len(networks)} trained (95%: networks' spread, people)")
    if not untrained.empty:
        handles.append(Line2D([], [], ls="", marker="x", ms=5, color="0.35"))
        labels.append(f"mean over {untrained['network'].nunique()} untrained")
    handles.append(plt.Rectangle((0, 0), 1, 1, color="0.92"))
    labels.append(f"±{100 * CONTROL_MARGIN:.0f} p.p. (controls' band)")
    return handles, labels


def _limits(trained: pd.DataFrame, est: dict) -> tuple[float, float]:
    """The rise axis (p.p.): every network's interval and every mean, with 0 and the
    controls' band; a mean's interval reaching beyond is clipped, marked (``_clipped``)."""
    values = [*trained["fnmr_rise_lo"], *trained["fnmr_rise_hi"]]
    values += [e.value for (_, m, _), e in est.items() if m == "fnmr_rise"]
    values = 100 * np.array([v for v in values if np.isfinite(v)] + [0.0])
    lo, hi = min(values.min(), -100 * CONTROL_MARGIN), max(values.max(), 100 * CONTROL_MARGIN)
    pad = 0.08 * (hi - lo)
    return lo - pad, hi + pad


def _clipped(ax, y: float, lo: float, hi: float, xlim) -> tuple[float, float]:
    """An interval [lo, hi] (p.p.) cut at the axis ``xlim``, a cut end marked by an arrow
    head and the end's value."""
    out = []
    for end, edge, side in ((lo, xlim[0], -1), (hi, xlim[1], 1)):
        if side * (end - edge) > 0:
            ax.plot(edge, y, marker="<" if side < 0 else ">", ms=4, color="k", clip_on=False)
            ax.annotate(
                f"{end:+.0f}",
                (edge, y),
                xytext=(-side * 2, 4),
                textcoords="offset points",
                ha="right" if side > 0 else "left",
                fontsize=5.5,
            )
            end = edge
        out.append(end)
    return out[0], out[1]


def _fmr(rows: pd.DataFrame) -> str:
    return f"{100 * rows['fmr_target'].iloc[0]:g}%" if "fmr_target" in rows else "the fixed FMR"


def _contrast_panel(ax, rows: pd.DataFrame) -> None:
    """The planted contrast per network against its thresholds."""
    c = rows[rows["kind"] == "contrast"]
    trained, untrained = split(c)
    nets = list(trained["network"]) + list(untrained["network"])
    for y, r in enumerate(pd.concat([trained, untrained]).itertuples()):
        color = "k" if r.network in set(trained["network"]) else "0.55"
        ax.errorbar(
            100 * r.fnmr_rise,
            y,
            xerr=[[100 * (r.fnmr_rise - r.fnmr_rise_lo)], [100 * (r.fnmr_rise_hi - r.fnmr_rise)]],
            fmt="o",
            ms=4,
            color=color,
            capsize=2,
            lw=1,
        )
    ax.axvline(100 * USED_MARGIN, color=KIND_COLORS["identity"], lw=0.8, ls="--")
    ax.axvline(100 * UNTRAINED_MARGIN, color="0.55", lw=0.8, ls=":")
    ax.axvline(0, color="k", lw=0.6)
    ax.set_yticks(range(len(nets)), nets, fontsize=7)
    ax.set_ylim(len(nets) - 0.5, -0.5)
    ax.set_xlabel("identity-bound minus\nper-image (p.p.)", fontsize=8)
    ax.set_title("planted contrast", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    for x, text, color in (
        (USED_MARGIN, f" trained ≥ {100 * USED_MARGIN:.0f}", KIND_COLORS["identity"]),
        (UNTRAINED_MARGIN, f" untrained < {100 * UNTRAINED_MARGIN:.0f}", "0.45"),
    ):
        ax.text(
            100 * x,
            0.01 if x == USED_MARGIN else 0.07,
            text,
            transform=ax.get_xaxis_transform(),
            fontsize=5.5,
            va="bottom",
            color=color,
        )
    ax.set_ylabel("network", fontsize=7)


def fig_counterfactual_fnmr(rows: pd.DataFrame, kinds: dict[str, str], png, pdf=None) -> None:
    """Draw the FNMR-rise figure of the networks' counterfactual tables ``rows``
    (``results/counterfactual/<network>.tsv`` concatenated), ``kinds`` the world's
    planted kinds, to ``png``/``pdf``."""
    rows = rows.assign(network=rows["network"].astype(str))
    theme()
    n = rows[rows["kind"] != CONTRAST]["variant"].nunique()
    fig, (ax, right) = plt.subplots(
        1,
        2,
        figsize=(FULL_WIDTH, 1.2 + 0.32 * n + 0.55),
        gridspec_kw=dict(width_ratios=(3.2, 1)),
    )
    handles, labels = _rise_panel(ax, rows[rows["kind"] != CONTRAST], kinds)
    if (rows["kind"] == CONTRAST).any():
        _contrast_panel(right, rows)
    else:
        right.axis("off")
    sns.despine(fig)
    fig.legend(handles, labels, fontsize=6, loc="lower center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.55 / (1.2 + 0.32 * n + 0.55), 1, 1))
    save(fig, png, pdf)


def _depth_curve(ax, d: pd.DataFrame, column: str, **style) -> None:
    d = d.dropna(subset=[column]).sort_values("depth")
    if len(d):
        ax.plot(d["depth"], d[column], **style)


def fig_counterfactual_depth(depth: pd.DataFrame, png, pdf=None, *, depths: Depths) -> None:
    """Draw the sensitivity over depth (``results/tables/counterfactual_depth.tsv``) on
    the network's depth axis ``depths`` to ``png``/``pdf``."""
    if depth.empty:
        raise ValueError(
            "the counterfactual depth table is empty: no depth was measured "
            "(counterfactual.depth: false)"
        )
    d = depth.assign(depth=depth["point"].map(point_index))
    flips = d[d["kind"] == FLIP].drop_duplicates("variant")
    flips = list(
        flips.sort_values("planted", key=lambda k: k != "identity", kind="stable")["variant"]
    )
    controls = list(dict.fromkeys(d[d["kind"] == CONTROL]["variant"]))
    panels = flips + (["nuisance controls"] if controls else [])
    sns.set_theme(style="ticks", context="paper", font_scale=0.9)
    fig, axes = panel_grid(len(panels), extra_height=0.7)
    nrows, ncols = axes.shape
    ctrl = d[d["kind"] == CONTROL].groupby("depth")[["sensitivity"]].mean().reset_index()
    for ax, name in zip(axes.flat, panels, strict=False):
        ax.axhline(1.0, color="0.75", lw=0.5)
        if name in flips:
            g = d[d["variant"] == name].sort_values("depth")
            kind = g["planted"].iloc[0] if g["planted"].iloc[0] in KIND_COLORS else "identity"
            color = KIND_COLORS[kind]
            _depth_curve(ax, g, "sensitivity", color=color, lw=1.2)
            band = g.dropna(subset=["sensitivity_sd"])
            ax.fill_between(
                band["depth"],
                band["sensitivity"] - 2 * band["sensitivity_sd"],
                band["sensitivity"] + 2 * band["sensitivity_sd"],
                color=color,
                alpha=0.2,
                lw=0,
            )
            _depth_curve(ax, g, "untrained_sensitivity", color=color, lw=0.8, alpha=0.4)
            _depth_curve(ax, ctrl, "sensitivity", color="0.35", lw=0.8, ls="--")
            ax.set_title(name.replace("_", " "), fontsize=8, color=color)
        else:
            for v, ls in zip(controls, CONTROL_STYLES, strict=False):
                g = d[d["variant"] == v]
                _depth_curve(ax, g, "sensitivity", color="0.3", lw=1.0, ls=ls)
                _depth_curve(ax, g, "untrained_sensitivity", color="0.3", lw=0.6, ls=ls, alpha=0.35)
            ax.set_title(name, fontsize=8)
        stage_axis(ax, depths)
        ax.tick_params(labelsize=6)
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    axes[0, 0].set_ylim(0, None)
    for ax in axes[:, 0]:
        ax.set_ylabel("sensitivity", fontsize=7)
    for k in range(ncols):  # the lowest panel of each column
        ax = axes[(len(panels) - 1 - k) // ncols, k]
        ax.xaxis.set_tick_params(labelbottom=True)
        ax.set_xlabel("probe point", fontsize=7)
    _depth_legend(fig, d, controls)
    fig.tight_layout(rect=(0, 0.02, 1, 1 - 0.6 / (1.55 * nrows + 0.7)))
    save(fig, png, pdf)


def _depth_legend(fig, d: pd.DataFrame, controls: list[str]) -> None:
    trained = int(d["trained"].max()) if len(d) else 0
    untrained = int(d["untrained"].max()) if len(d) else 0
    handles = [
        Line2D([], [], color=KIND_COLORS["identity"], lw=1.2),
        Line2D([], [], color=KIND_COLORS["image"], lw=1.2),
        Line2D([], [], color="0.3", lw=0.8, alpha=0.4),
        Line2D([], [], color="0.35", lw=0.8, ls="--"),
    ]
    labels = [
        f"identity-bound, mean over {trained} trained (band ±2 std)",
        "per-image, the same",
        f"untrained (mean over {untrained}): the same colour, faint",
        "nuisance controls, mean over the trained",
    ]
    for v, ls in zip(controls, CONTROL_STYLES, strict=False):
        handles.append(Line2D([], [], color="0.3", lw=1.0, ls=ls))
        labels.append(f"control: {v.replace('_', ' ')} (last panel)")
    fig.legend(handles, labels, loc="upper center", ncol=3, fontsize=6.5, frameon=False)
    fig.text(
        0.5,
        0.0,
        "sensitivity: the change's activation distance / the distance between two photos of "
        "the same person at that point; grey lines: stage boundaries",
        ha="center",
        va="bottom",
        fontsize=6,
        color="0.3",
    )
