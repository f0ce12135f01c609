"""Resale inventory: cleared units in stock (stock), prices from real sales (pricing), the client's
share of the proceeds (settlement), and the files made from them (feeds, statements).

Stock moves that change a device's state (list, sell, withdraw) go through the one transition function
(itad.steps.applying.apply_step), so each leaves a custody event. Reserving and releasing
are commercial holds on a listed unit, not custody steps: they change the stock row only.
"""
