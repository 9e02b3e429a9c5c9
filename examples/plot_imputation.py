"""Filling the holes of a mixed table: AutoEncoderImputer against IterativeImputer.

The table is scikit-learn's breast-cancer data: the ten "mean ..." measurements (real
columns) and the diagnosis (a categorical column, malignant or benign), as a pandas
DataFrame. A fifth of its entries are hidden at random (MCAR, seed 0).

- ``AutoEncoderImputer()`` takes the DataFrame as it is and gives one back, with the
  diagnosis filled with its labels: the dtypes tell it which columns are real (Gaussian
  on standardised values) and which categorical (Categorical likelihood).
- ``IterativeImputer()`` needs numbers: it gets the measurements standardised and the
  diagnosis one-hot (both columns NaN where it is missing), and a filled diagnosis is
  the larger of the two.

We print, per column, the error on the hidden entries divided by the column's standard
deviation (a mean fill scores about 1), and the accuracy of the filled diagnoses,
beside the most-frequent fill. Observed entries are checked to come back unchanged.
"""

import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer

from skae import AutoEncoderImputer

warnings.filterwarnings("ignore", message=r"\[IterativeImputer\] Early stopping")

FIGURE_DIR = Path(os.environ.get(
    "SKAE_FIGURE_DIR", Path(__file__).resolve().parent.parent / "docs" / "images"))

data = load_breast_cancer(as_frame=True)
numeric = [c for c in data.feature_names if c.startswith("mean ")]
complete = data.frame[numeric].copy()
complete["diagnosis"] = pd.Categorical(data.target_names[data.target])
hidden = np.random.default_rng(0).random(complete.shape) < 0.2
holes = complete.mask(hidden)

# --- AutoEncoderImputer: pandas in, pandas out
filled = AutoEncoderImputer(random_state=0).fit_transform(holes)
assert filled["diagnosis"].dtype == complete["diagnosis"].dtype
for column in holes.columns:
    seen = holes[column].notna()
    assert (filled.loc[seen, column] == holes.loc[seen, column]).all()

# --- IterativeImputer: standardised numbers and a one-hot diagnosis
center, spread = holes[numeric].mean(), holes[numeric].std(ddof=0)
onehot = pd.get_dummies(holes["diagnosis"], dtype=float)
onehot[holes["diagnosis"].isna()] = np.nan
Z = IterativeImputer(random_state=0).fit_transform(
    pd.concat([(holes[numeric] - center) / spread, onehot], axis=1))
iterative = pd.DataFrame(Z[:, : len(numeric)] * spread.to_numpy() + center.to_numpy(),
                         columns=numeric)
iterative["diagnosis"] = onehot.columns[np.argmax(Z[:, len(numeric):], axis=1)]


def scaled_rmse(fill, column):
    rows = hidden[:, complete.columns.get_loc(column)]
    error = (np.asarray(fill[column])[rows] - complete[column].to_numpy()[rows])
    return np.sqrt(np.mean(error**2)) / complete[column].std(ddof=0)


rows = hidden[:, -1]
truth = complete["diagnosis"].to_numpy(object)[rows]
accuracy = {
    "AutoEncoderImputer": np.mean(filled["diagnosis"].to_numpy(object)[rows] == truth),
    "IterativeImputer": np.mean(iterative["diagnosis"].to_numpy(object)[rows] == truth),
    "most frequent": np.mean(holes["diagnosis"].mode()[0] == truth),
}
rmse = {name: [scaled_rmse(fill, c) for c in numeric]
        for name, fill in (("AutoEncoderImputer", filled), ("IterativeImputer", iterative))}

print(f"{hidden.sum()} of {hidden.size} entries hidden (MCAR 20%)")
print(f"{'column':<24} {'AutoEncoderImputer':>18} {'IterativeImputer':>17}")
for j, column in enumerate(numeric):
    print(f"{column:<24} {rmse['AutoEncoderImputer'][j]:18.3f} "
          f"{rmse['IterativeImputer'][j]:17.3f}")
for name in rmse:
    print(f"pooled RMSE / sd, {name}: "
          f"{np.sqrt(np.mean(np.square(rmse[name]))):.3f}")
for name, value in accuracy.items():
    print(f"diagnosis accuracy, {name}: {value:.3f}")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2),
                                  gridspec_kw={"width_ratios": [3, 1]})
positions = np.arange(len(numeric))
for k, (name, values) in enumerate(rmse.items()):
    left.bar(positions + (k - 0.5) * 0.38, values, width=0.38, label=name)
left.axhline(1.0, color="grey", lw=1, ls="--", label="mean fill (about 1)")
left.set_xticks(positions, [c.removeprefix("mean ") for c in numeric], rotation=40,
                ha="right")
left.set_ylabel("RMSE on hidden entries / column sd")
left.set_title("real columns (lower is better)")
left.legend(fontsize=8)
right.bar(range(3), list(accuracy.values()), color=["C0", "C1", "grey"])
right.set_xticks(range(3), ["AutoEncoder\nImputer", "Iterative\nImputer", "most\nfrequent"],
                 fontsize=8)
right.set_ylim(0.5, 1.0)
right.set_ylabel("accuracy on hidden diagnoses")
right.set_title("categorical column")
fig.suptitle("Breast cancer, 20% of entries hidden at random")
fig.tight_layout()
FIGURE_DIR.mkdir(parents=True, exist_ok=True)
fig.savefig(FIGURE_DIR / "imputation.png", dpi=110)
