"""Free-text prompts per class that no training caption uses, for measuring text-conditional models on
wordings they never saw (`genvision.data.captions.paraphrases(dataset, split)` returns them).
"""

from __future__ import annotations

# Held-out paraphrases: five prompts per class, worded unlike every training caption (no training template
# matches them), written before the model that is measured on them was trained, and never trained on.
PARAPHRASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "fashion-mnist": (
        (
            "a product shot of a plain crew neck tee",
            "someone's favourite short sleeve top",
            "men's basic tshirt seen from the front",
            "a casual cotton top with short sleeves",
            "catalogue image of a white tee",
        ),
        (
            "a product shot of some slim-fit jeans",
            "long pants to wear to the office",
            "a pair of chinos laid out flat",
            "women's wide-leg slacks",
            "full-length denim bottoms",
        ),
        (
            "a cosy knit sweater",
            "a product shot of a warm jumper",
            "a long-sleeved woollen sweatshirt",
            "crewneck knitwear for the winter",
            "a thick hand-knitted pullover",
        ),
        (
            "a product shot of a summer frock",
            "an elegant evening gown",
            "a sleeveless party dress for women",
            "a little black dress",
            "a knee-length sundress",
        ),
        (
            "a product shot of a heavy winter jacket",
            "a long trench coat with buttons",
            "an overcoat for cold weather",
            "a padded parka",
            "a zip-up outdoor jacket",
        ),
        (
            "a product shot of some ladies' sandals",
            "open-toe summer footwear",
            "a pair of flip flops for the beach",
            "strappy sandals with a heel",
            "slides to wear by the pool",
        ),
        (
            "a product shot of a button-down shirt",
            "a collared blouse with long sleeves",
            "a checked flannel shirt",
            "an office shirt with a collar",
            "a women's buttoned blouse",
        ),
        (
            "a product shot of some running shoes",
            "a pair of trainers for the gym",
            "low-top athletic shoes",
            "comfortable sports footwear",
            "a canvas skate shoe",
        ),
        (
            "a product shot of a leather handbag",
            "a tote to go shopping with",
            "a purse with a long strap",
            "a backpack for school",
            "a women's shoulder bag",
        ),
        (
            "a product shot of some chelsea boots",
            "short leather boots with a heel",
            "booties for the autumn",
            "winter boots that cover the ankle",
            "lace-up combat boots",
        ),
    ),
}


# Validation paraphrases: five more free-text prompts per class, worded unlike the training captions and unlike
# the held-out list above. Recipes and caption changes are chosen on these; the held-out list only measures.
VALIDATION_PARAPHRASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "fashion-mnist": (
        (
            "a graphic tee to wear on weekends",
            "a basic v-neck top in jersey",
            "a short-sleeved cotton undershirt",
            "a loose gym top with short arms",
            "the classic white t shirt",
        ),
        (
            "a pair of cargo trousers",
            "straight-leg denim",
            "tailored suit trousers",
            "jogging bottoms with a drawstring",
            "skinny jeans in dark blue",
        ),
        (
            "a chunky cable-knit jumper",
            "a turtleneck sweater",
            "a fleece to keep warm",
            "a hoodie without a zip",
            "a soft wool knit with long sleeves",
        ),
        (
            "a flowing floor-length dress",
            "a floral wrap dress",
            "a slip dress for a night out",
            "a short dress with thin straps",
            "a pleated midi dress",
        ),
        (
            "a warm duffle coat",
            "a quilted puffer jacket",
            "a rain mac with a hood",
            "a leather biker jacket",
            "an anorak for hiking",
        ),
        (
            "gladiator sandals",
            "summer sliders",
            "a flat sandal with ankle straps",
            "beach shoes with open toes",
            "thong sandals for holidays",
        ),
        (
            "a formal white shirt with cuffs",
            "an oxford shirt",
            "a denim shirt with pockets",
            "a long-sleeved work shirt",
            "a silk blouse",
        ),
        (
            "a pair of tennis shoes",
            "white low-top kicks",
            "slip-on trainers",
            "shoes for jogging",
            "lightweight road runners",
        ),
        (
            "a clutch for the evening",
            "a messenger bag",
            "a leather satchel",
            "a duffel bag for the gym",
            "a small crossbody bag",
        ),
        (
            "suede desert boots",
            "a pair of zip-up ankle boots",
            "a block-heel boot",
            "biker boots",
            "rain boots that stop at the ankle",
        ),
    ),
}
