"""The demo company that ``seed_demo`` loads: its data tables and the plan drawn from them."""
