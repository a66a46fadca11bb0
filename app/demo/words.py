"""Word lists the demo generator builds names, places and addresses from (no Faker at runtime).

Emails use the reserved `.example` domains and phone numbers the 555-01xx range set aside for
fiction, so demo data never points at a real mailbox or line.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Ana", "Ben", "Carla", "Dev", "Elena", "Farah", "Gabe", "Hana", "Isaac", "Jada", "Kofi", "Lena",
    "Marco", "Nina", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tess", "Umar", "Vera", "Wes", "Ximena",
    "Yusuf", "Zoe", "Aaron", "Bianca", "Caleb", "Dana", "Eli", "Fiona", "Grant", "Holly", "Ivan",
    "June", "Kai", "Lucia", "Miles", "Nora", "Owen", "Paula", "Reed", "Sofia", "Theo", "Uma",
    "Victor", "Willa", "Xavier", "Yara", "Zane", "Amir", "Beth", "Chloe", "Diego", "Erin", "Felix",
    "Grace", "Hector", "Iris", "Jonah", "Keiko", "Liam", "Maya", "Nikhil", "Olga", "Pedro", "Ruth",
)  # fmt: skip

LAST_NAMES = (
    "Ruiz", "Okafor", "Nguyen", "Patel", "Schmidt", "Kowalski", "Haddad", "Larsen", "Moreno", "Brooks",
    "Chen", "Dubois", "Ellis", "Fischer", "Garcia", "Hughes", "Ibrahim", "Jensen", "Kim", "Lopez",
    "Murphy", "Novak", "Olsen", "Park", "Quintero", "Rossi", "Sato", "Tran", "Underwood", "Vasquez",
    "Walsh", "Xu", "Yilmaz", "Zimmerman", "Abbott", "Bauer", "Castillo", "Diaz", "Erikson", "Flores",
    "Grant", "Holm", "Iyer", "Jovanovic", "Khan", "Lindqvist", "Mensah", "Nakamura", "Ortiz", "Petrov",
    "Reyes", "Silva", "Thompson", "Ueda", "Varga", "Weber", "Young", "Zhou", "Alvarez", "Bishop",
    "Coleman", "Delgado", "Foster", "Gallagher", "Hoffman", "Jimenez", "Keller", "Lambert", "Marsh",
)  # fmt: skip

# The distinctive half of a business name.
NAME_STEMS = (
    "Bluebird", "Maple Street", "Harbor", "Copper Kettle", "Oak & Ember", "Northside", "Riverbend",
    "Juniper", "Cedar Hill", "Lakeshore", "Granite", "Willow", "Foxglove", "Ironwood", "Magnolia",
    "Sparrow", "Highland", "Prairie", "Union Square", "Golden Hour", "Two Rivers", "Red Barn",
    "Silver Birch", "Tidewater", "Lantern", "Beacon", "Aspen", "Hearth", "Wildflower", "Canal Street",
    "Morning Glory", "Timberline", "Old Mill", "Fifth Avenue", "Blue Door", "Mesa", "Pinecone",
    "Saltwater", "Larkspur", "Brightside", "Common Ground", "Kestrel", "Marigold", "Orchard", "Quarry",
    "Railyard", "Sunrise", "Thistle", "Westgate", "Yellow Dog", "Driftwood", "Evergreen", "Greenway",
    "Hillcrest", "Ivy Lane", "Keystone", "Meadowlark", "Northwind", "Parkside", "Rosewood",
    "Stonebridge", "Trailhead", "Windmill", "Fig & Thistle", "Cobblestone", "Lighthouse", "Bramble",
    "Cardinal", "Sycamore", "Grove Street", "Half Moon", "Lucky Penny", "Bellwether", "Foundry",
)  # fmt: skip

# Business type → (name patterns, contact titles); `{}` is a stem.
BUSINESS_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cafe": (
        ("{} Coffee", "{} Café", "{} Espresso Bar", "{} Coffee House"),
        ("Owner", "Café Manager", "Head Barista", "Buyer"),
    ),
    "bakery": (("{} Bakery", "{} Bakehouse", "{} Pastry Co."), ("Owner", "Head Baker", "Buyer")),
    "restaurant": (
        ("{} Bistro", "{} Kitchen", "{} Diner", "{} Brasserie"),
        ("General Manager", "Executive Chef", "Kitchen Manager", "Accounts Payable"),
    ),
    "hotel": (
        ("The {} Hotel", "{} Inn & Suites", "{} Lodge"),
        ("Purchasing Manager", "Food & Beverage Director", "Accounts Payable"),
    ),
    "office": (
        ("{} Workspace", "{} Coworking", "{} Partners"),
        ("Office Manager", "Operations Director", "Accounts Payable"),
    ),
    "grocery": (("{} Market", "{} Grocers", "{} Food Co-op"), ("Category Buyer", "Store Manager", "Owner")),
    "campus": (("{} College Dining", "{} Campus Catering"), ("Director of Dining", "Purchasing Manager")),
}

# Business type → share of order lines per catalog category.
CATEGORY_MIX: dict[str, dict[str, float]] = {
    "cafe": {"coffee": 0.42, "tea": 0.12, "packaging": 0.26, "kitchen": 0.07, "syrups": 0.13},
    "bakery": {"coffee": 0.34, "tea": 0.14, "packaging": 0.32, "kitchen": 0.05, "syrups": 0.15},
    "restaurant": {"coffee": 0.30, "tea": 0.14, "packaging": 0.14, "kitchen": 0.27, "syrups": 0.15},
    "hotel": {"coffee": 0.34, "tea": 0.34, "packaging": 0.10, "kitchen": 0.12, "syrups": 0.10},
    "office": {"coffee": 0.46, "tea": 0.26, "packaging": 0.20, "kitchen": 0.02, "syrups": 0.06},
    "grocery": {"coffee": 0.55, "tea": 0.37, "packaging": 0.0, "kitchen": 0.0, "syrups": 0.08},
    "campus": {"coffee": 0.36, "tea": 0.18, "packaging": 0.30, "kitchen": 0.06, "syrups": 0.10},
}
BUSINESS_WEIGHTS = {
    "cafe": 34,
    "bakery": 12,
    "restaurant": 22,
    "hotel": 8,
    "office": 12,
    "grocery": 7,
    "campus": 5,
}

# (city, province code, zip, area code, combined sales tax rate in percent)
CITIES = (
    ("Chicago", "IL", "60607", "312", "10.25"),
    ("Evanston", "IL", "60201", "847", "10.25"),
    ("Milwaukee", "WI", "53202", "414", "5.50"),
    ("Madison", "WI", "53703", "608", "5.50"),
    ("Minneapolis", "MN", "55401", "612", "8.03"),
    ("St. Paul", "MN", "55102", "651", "7.88"),
    ("Des Moines", "IA", "50309", "515", "7.00"),
    ("Omaha", "NE", "68102", "402", "7.00"),
    ("Kansas City", "MO", "64105", "816", "8.85"),
    ("St. Louis", "MO", "63101", "314", "9.68"),
    ("Indianapolis", "IN", "46204", "317", "7.00"),
    ("Louisville", "KY", "40202", "502", "6.00"),
    ("Nashville", "TN", "37203", "615", "9.25"),
    ("Memphis", "TN", "38103", "901", "9.75"),
    ("Tulsa", "OK", "74103", "918", "8.52"),
    ("Dallas", "TX", "75201", "214", "8.25"),
    ("Austin", "TX", "78701", "512", "8.25"),
    ("Houston", "TX", "77002", "713", "8.25"),
    ("New Orleans", "LA", "70112", "504", "9.45"),
    ("Detroit", "MI", "48226", "313", "6.00"),
)

STREETS = (
    "Main St", "Oak Ave", "Market St", "Lake St", "Elm St", "Washington Ave", "Grand Ave", "Division St",
    "State St", "Franklin St", "Kinzie St", "Commerce St", "Mill Rd", "Riverside Dr", "Park Ave",
    "Halsted St", "Clinton St", "University Ave", "Broadway", "Water St",
)  # fmt: skip

LOCATION_SUFFIXES = ("Downtown", "North", "Riverside", "Airport", "West Loop", "Midtown", "Campus", "Uptown")

# Where retail (direct-to-consumer) buyers come from: (source_name, referring_site, landing_site, weight)
RETAIL_CHANNELS = (
    ("web", "https://www.google.com/", "/products/house-espresso-blend", 34),
    ("web", None, "/", 18),
    ("web", "https://www.instagram.com/", "/collections/coffee?utm_source=instagram&utm_medium=social", 14),
    ("web", None, "/collections/tea?utm_source=newsletter&utm_medium=email", 12),
    ("web", "https://www.bing.com/", "/products/earl-grey-supreme", 6),
    ("web", "https://www.pinterest.com/", "/products/matcha-ceremonial-grade", 4),
    ("pos", None, None, 12),
)

ORDER_NOTES = (
    "Deliver to the back door, please.",
    "Call on arrival.",
    "Receiving hours 7 to 11 am.",
    "Split shipment OK.",
    "Leave with the front desk.",
)
