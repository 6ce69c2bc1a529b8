"""Reads {"scores": [[...]], "relevance": [[...]], "k": K} on stdin; prints scikit-learn's ndcg_score per row as JSON."""
import json
import sys

import numpy as np
from sklearn.metrics import ndcg_score

data = json.load(sys.stdin)
scores = np.array(data["scores"], dtype=np.float64)
relevance = np.array(data["relevance"], dtype=np.float64)
print(json.dumps([ndcg_score(relevance[i:i + 1], scores[i:i + 1], k=data["k"]) for i in range(len(scores))]))
