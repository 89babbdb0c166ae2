"""Index stage: embeddings, lexical index, storage and search."""
