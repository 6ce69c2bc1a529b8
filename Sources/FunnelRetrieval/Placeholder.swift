// Retrieval models live here.
