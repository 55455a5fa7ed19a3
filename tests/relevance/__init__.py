"""Search relevance: a judged query set over a fixed corpus, scored with nDCG@10 and MRR on every engine."""
