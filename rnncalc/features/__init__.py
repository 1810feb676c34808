"""The features layer: check, train, graph, grade and problem files, each built on derive()."""
