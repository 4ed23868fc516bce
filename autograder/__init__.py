"""Autograding, hidden-test checks and offline data for the 'Artificial Neural Networks with Keras' notebooks."""

__version__ = "0.1.0"
