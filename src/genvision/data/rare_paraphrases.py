"""Held-out paraphrases with rare synonyms (issue 34): three free-text prompts per Fashion-MNIST class, each naming
the garment with a word no training caption, held-out paraphrase or validation paraphrase uses (a frock, an
anorak, a satchel, plimsolls, ...). Written and committed before any measurement on them; never trained on and
never used to choose a recipe, a threshold or a default. `paraphrases("fashion-mnist", "rare")` returns them.
"""

from __future__ import annotations

RARE_PARAPHRASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "fashion-mnist": (
        (  # T-shirt/top
            "a jersey singlet",
            "a plain henley",
            "a cropped camisole top",
        ),
        (  # Trouser
            "a pair of jodhpurs",
            "corduroy breeches",
            "palazzo pants in linen",
        ),
        (  # Pullover
            "a fair isle knit",
            "a woolly guernsey",
            "a cashmere cardigan",
        ),
        (  # Dress
            "a silk shift for a wedding",
            "a satin ball gown",
            "a cotton pinafore",
        ),
        (  # Coat
            "a waxed cagoule",
            "a tweed greatcoat",
            "a mackintosh for the rain",
        ),
        (  # Sandal
            "leather huaraches",
            "a pair of jandals",
            "cork-soled mules for the beach",
        ),
        (  # Shirt
            "a chambray work top with a collar",
            "a linen tunic with buttons",
            "a seersucker button-up",
        ),
        (  # Sneaker
            "a pair of plimsolls",
            "a pair of daps for PE",
            "canvas pumps with laces",
        ),
        (  # Bag
            "a leather pochette",
            "a canvas haversack",
            "a drawstring reticule",
        ),
        (  # Ankle boot
            "suede chukkas",
            "a pair of elastic-sided jodhpur boots",
            "leather winklepickers that stop at the ankle",
        ),
    ),
}
