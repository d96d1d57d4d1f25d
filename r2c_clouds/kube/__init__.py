"""Kubernetes sources: the live reader (:mod:`.live`), the snapshot loader (:mod:`.snapshot`),
the snapshot writer (:mod:`.dump`), and the wire decoding and kinds table they share."""
