"""Reads {"scores": [...], "labels": [...]} on stdin; prints scikit-learn's AUC and log loss as JSON."""
import json
import sys

import numpy as np
from sklearn.metrics import log_loss, roc_auc_score

data = json.load(sys.stdin)
scores = np.array(data["scores"], dtype=np.float64)
labels = np.array(data["labels"], dtype=np.float64)
probabilities = np.clip(scores, 1e-7, 1 - 1e-7)
print(json.dumps({"auc": roc_auc_score(labels, scores), "logloss": log_loss(labels, probabilities, labels=[0, 1])}))
