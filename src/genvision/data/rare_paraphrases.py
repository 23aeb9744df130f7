"""Held-out paraphrases with rare synonyms (issue 34): three free-text prompts per Fashion-MNIST class, each naming
the garment with a word no training caption, held-out paraphrase or validation paraphrase uses (a frock, an
anorak, a satchel, plimsolls, ...). Written and committed before any measurement on them; never trained on and
never used to choose a recipe, a threshold or a default. `paraphrases("fashion-mnist", "rare")` returns them;
"rare2", "rare3" and "rare4" are three later lists of the same kind, each written before the change it tests.
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


# A second rare-synonym list (issue 34, lexical grounding): four prompts per class in shop and wardrobe
# language, British and American, brand-free, whose garment words no training caption, held-out or validation
# paraphrase, or the first rare list uses. Written and committed before the lexical grounding layer was built
# or anything was measured on it; measured once, never tuned on. `paraphrases("fashion-mnist", "rare2")`.
RARE2_PARAPHRASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "fashion-mnist": (
        (  # T-shirt/top
            "a ribbed muscle tank for a heatwave",
            "a vintage ringer with contrast trim",
            "a sleeveless racerback for yoga",
            "a spaghetti-strap cami",
        ),
        (  # Trouser
            "a pair of flared bell-bottoms from the seventies",
            "grey trackies for lounging at home",
            "pressed khakis for a job interview",
            "wide culottes for a summer holiday",
        ),
        (  # Pullover
            "a thick roll-neck for a ski trip",
            "a cream aran with a cable pattern",
            "a lambswool polo neck for the office",
            "a fuzzy mohair mock-neck for chilly evenings",
        ),
        (  # Dress
            "a bodycon for a birthday party",
            "a floaty kaftan for a festival",
            "a belted shirtwaister for a garden party",
            "a fitted sheath for a christening",
        ),
        (  # Coat
            "a navy peacoat with brass buttons",
            "a nylon windbreaker for a windy hike",
            "a satin bomber with ribbed cuffs",
            "a sheepskin shearling to get through january",
        ),
        (  # Sandal
            "a pair of slingbacks with a kitten heel",
            "rope-soled espadrille wedges",
            "toe-post flats for the seaside",
            "barely-there stiletto heels for prom",
        ),
        (  # Shirt
            "a plaid overshirt for autumn walks",
            "a crisp poplin with double cuffs for a black-tie dinner",
            "a western with pearl snaps",
            "a granddad-collar popover in soft cotton",
        ),
        (  # Sneaker
            "a pair of retro hi-tops",
            "tennies for the playground",
            "a pair of sandshoes for school",
            "chunky dad shoes for a city break",
        ),
        (  # Bag
            "a roomy canvas rucksack",
            "a leather holdall for a weekend away",
            "a fanny pack for a festival",
            "a beaded wristlet for a wedding",
        ),
        (  # Ankle boot
            "a pair of shooties with a stacked heel",
            "cuban-heeled beatle boots",
            "stretchy knit sock boots for autumn",
            "a pair of steel-toe work boots for a building site",
        ),
    ),
}


# A third rare-synonym list (issue 34), the blind test of this stop's lexicon improvement: five prompts per class
# in shop, catalogue and wardrobe language (British, American, Australian, Indian and other Englishes, with a few
# slang and trade terms), brand-free, whose garment words no training caption, held-out or validation paraphrase,
# or the first two rare lists uses. Written by the rare3 helper of session 31 on 2026-12-07 without reading the
# garment lexicon, and committed before the lexicon improvement of this stop landed and before anything was
# measured on it; to be measured once, never tuned on. `paraphrases("fashion-mnist", "rare3")` returns it.
RARE3_PARAPHRASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "fashion-mnist": (
        (  # T-shirt/top
            "a stretchy boob tube for a hen do",
            "a cotton banian for the summer heat",
            "a halter top for a beach party",
            "a strapless bandeau for a music festival",
            "a lightweight vest top for the gym",
        ),
        (  # Trouser
            "a pair of grey sweatpants for a lazy sunday",
            "a good pair of strides for the races",
            "tartan trews for a ceilidh",
            "a pair of white cotton churidars for college",
            "a pair of capris for a boat trip",
        ),
        (  # Pullover
            "a quarter-zip for a round of golf",
            "a thin skivvy for layering in winter",
            "a baggy sloppy joe for watching the footy",
            "an army-surplus woolly pully",
            "a chunky half-zip in merino wool",
        ),
        (  # Dress
            "an LBD for date night",
            "an anarkali for a sangeet",
            "a silk cheongsam for lunar new year",
            "a dirndl for oktoberfest",
            "a breezy muumuu for a luau",
        ),
        (  # Coat
            "a yellow slicker for a rainy day",
            "a long oilskin for the outback",
            "a brocade sherwani for the groom",
            "a cotton harrington with a tartan lining",
            "a tailored chesterfield with a velvet collar",
        ),
        (  # Sandal
            "a pair of rubber chappals for the monsoon",
            "a pair of kolhapuris with a toe loop",
            "a pair of jellies for rock pooling",
            "a pair of zoris for a day at the beach",
            "a pair of slip-slops for the braai",
        ),
        (  # Shirt
            "a linen guayabera for a summer wedding",
            "a cotton kurta for diwali",
            "an embroidered barong for a filipino wedding",
            "a blue OCBD for the office",
            "a cotton tattersall for a country weekend",
        ),
        (  # Sneaker
            "a fresh pair of creps for the weekend",
            "a pair of gutties for a kickabout",
            "a pair of white PT shoes for school",
            "a pair of takkies for a walk in the park",
            "a pair of basketball shoes for the court",
        ),
        (  # Bag
            "a slouchy suede hobo",
            "a cotton jhola for the market",
            "a canvas knapsack for a day hike",
            "a roomy leather shopper with two handles",
            "a bumbag for a theme park",
        ),
        (  # Ankle boot
            "a pair of paddock boots for riding lessons",
            "a pair of dealer boots for the farm",
            "a pair of cherry-red monkey boots",
            "a pair of brogue boots for the office",
            "a pair of suede half-boots with a side zip",
        ),
    ),
}


# A fourth rare-synonym list (issue 34), the blind test of this stop's vocabulary extension: five prompts per
# class in shop, catalogue and wardrobe language (British, American, Canadian, Australian, New Zealand, Irish,
# Indian, South African, Filipino and other Englishes, with a few slang and trade terms), brand-free, each naming
# its garment with a word no training caption, held-out or validation paraphrase, or the first three rare lists
# uses. Written by an engineer of this project on 2026-12-07 without reading the garment lexicon, and committed
# before this stop's vocabulary extension landed and before anything was measured on it; to be measured once,
# never tuned on. `paraphrases("fashion-mnist", "rare4")` returns it.
RARE4_PARAPHRASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "fashion-mnist": (
        (  # T-shirt/top
            "a bardot top for a summer barbecue",
            "a cotton sando for a hot afternoon",
            "a black bodysuit with a square neckline",
            "a peplum top for the office",
            "a ribbed crop top for the gym",
        ),
        (  # Trouser
            "a pair of jeggings for the school run",
            "a pair of black drainpipes for a gig",
            "navy trackpants for a morning walk",
            "a pair of pedal pushers for a picnic",
            "a cotton salwar for everyday wear",
        ),
        (  # Pullover
            "a chunky cardi for a cold evening",
            "a cosy bunny hug for a prairie winter",
            "a hand-knit cowichan with a geometric pattern",
            "a navy gansey for a fishing trip",
            "an oversized hoody for the weekend",
        ),
        (  # Dress
            "a red qipao for a wedding banquet",
            "a cotton housedress for a hot day",
            "a fit-and-flare for an engagement party",
            "a skater dress for a school disco",
            "a sequinned flapper dress for a twenties party",
        ),
        (  # Coat
            "a long leather duster for a ranch",
            "a letterman with leather sleeves",
            "a camel topcoat for the commute",
            "a silk bandhgala for a reception",
            "a waterproof hardshell for hillwalking",
        ),
        (  # Sandal
            "a pair of chanclas for the pool",
            "a pair of plakkies for the beach",
            "a pair of rubber tsinelas for the market",
            "a pair of wooden geta for a stroll",
            "a pair of sandalettes for a summer wedding",
        ),
        (  # Shirt
            "a flanny for a camping trip",
            "a red gingham with a pointed collar",
            "an aloha shirt for a beach bar",
            "a batik shirt for a company dinner",
            "a half-sleeve bush shirt for the office",
        ),
        (  # Sneaker
            "a pair of sannies for the school gym",
            "a pair of plimmies for sports day",
            "a pair of cross-trainers for a spin class",
            "a pair of trail runners for a muddy race",
            "a pair of training shoes for netball",
        ),
        (  # Bag
            "a quilted pocketbook with a chain strap",
            "a light daypack for a city tour",
            "a leather schoolbag with two buckles",
            "a flax kete for the farmers market",
            "an embroidered potli for a mehndi",
        ),
        (  # Ankle boot
            "a pair of suede vellies for a safari",
            "a pair of george boots with a buckle strap",
            "a pair of stockman's boots for the station",
            "a pair of short wellies for the garden",
            "a pair of cowboy booties for a line-dancing night",
        ),
    ),
}
