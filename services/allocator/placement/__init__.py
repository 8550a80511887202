"""Where the households of a batch go: the optimiser the allocator's domain calls.

``model`` names what every step shares; ``greedy`` assigns (who, then where, then local
improvement), ``fill`` and ``gather`` use the places left over, ``priority`` checks the batch's
priority rule on the result; ``grid`` is the spatial index. Pure, like the domain.
"""
