"""The node-graph network editor: scene, items, interactions, layout."""
