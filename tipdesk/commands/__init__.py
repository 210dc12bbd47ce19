"""One module per command (`daily`, `letter`, `liaison`, `report`, `check`, `watch`, `init`,
`demo`): each wires the layers below into one job and prints what the clerk reads. Only
tipdesk.cli imports them; they may import everything below.
"""
