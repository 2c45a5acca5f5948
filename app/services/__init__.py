"""Services: the domain rules in plain Python, no ``request``, ``session`` or templates.

Views in ``app/web/`` call these; these never import a blueprint.
"""
