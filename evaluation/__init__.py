"""Evaluation methods, committees and scores, awards, standstill and complaints."""
