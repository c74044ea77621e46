"""The words synthetic pages are written with: brands, navigation, headlines, product copy, people,
table data and form labels, drawn from the kind of text real marketing sites, dashboards and apps show.

Text here is short on purpose: a page's HTML must stay within ~1–3 KB, and the OCR and fidelity
scorer need readable, realistic strings (mixed case, digits, currency, dates), not lorem ipsum.
This module only holds word lists and a few pickers over a `random.Random`; it knows nothing about
HTML or layout (see `components.py`).
"""
from __future__ import annotations

import random

BRAND_HEADS = [
    "Nova", "Lumen", "Atlas", "Vertex", "Orbit", "Pixel", "Cobalt", "Summit", "Harbor", "Maple",
    "Quartz", "Bloom", "Drift", "Ember", "Frame", "Grove", "Helix", "Iris", "Juno", "Kite",
    "Lattice", "Mosaic", "Nimbus", "Onyx", "Pulse", "Relay", "Sable", "Tidal", "Umbra", "Vista",
]
BRAND_TAILS = ["", "ly", "io", " Labs", " Cloud", " HQ", "Pay", "Desk", "Flow", "Hub", "Base", "Kit"]

NAV_LINKS = [
    "Home", "Product", "Features", "Pricing", "Docs", "Blog", "About", "Careers", "Contact",
    "Customers", "Resources", "Changelog", "Support", "Solutions", "Company", "Integrations",
]
NAV_CTAS = ["Sign up", "Get started", "Try free", "Book a demo", "Log in", "Start now", "Join"]
SECONDARY_CTAS = ["Learn more", "See pricing", "Watch demo", "Read docs", "Contact sales", "View plans"]

HEADLINES = [
    "Build faster with less code", "Your team's home for every project", "Ship better products, sooner",
    "Analytics that explain themselves", "Payments for the modern web", "Plan, track and launch together",
    "The simplest way to manage money", "Design systems that scale", "Meet your new favourite inbox",
    "Hiring made human", "Cloud hosting without the headache", "Know your customers better",
    "Work from anywhere, together", "Turn data into decisions", "Everything you need to sell online",
    "Fast, private and secure", "Learn new skills every day", "Healthy habits, tracked simply",
]
SUBLINES = [
    "Start in minutes and scale to millions of users.",
    "Join 20,000 teams who plan their work in one place.",
    "No credit card required. Cancel anytime.",
    "Automate the busywork and focus on what matters.",
    "Real-time insights for every team in your company.",
    "Secure by default, fast everywhere, loved by developers.",
    "One dashboard for sales, support and marketing.",
    "Set up in five minutes with our guided onboarding.",
]
FEATURE_TITLES = ["Why teams choose us", "Everything in one place", "Features", "How it works",
                  "Our services", "Built for speed", "What you get"]
CARD_SECTION_TITLES = ["Customer stories", "Top products", "Featured", "Popular this week", "Explore",
                       "Latest updates", "Guides"]
FEATURES = [
    ("Fast setup", "Connect your tools and import data in a few clicks."),
    ("Secure storage", "Encrypted at rest and in transit, with daily backups."),
    ("Smart reports", "Weekly summaries that highlight what changed."),
    ("Team roles", "Give everyone the access they need, nothing more."),
    ("Live sync", "Changes appear on every device instantly."),
    ("Integrations", "Works with Slack, GitHub, Figma and 80 more."),
    ("Custom domains", "Publish on your own domain with free SSL."),
    ("24/7 support", "Real people answer within an hour, day or night."),
    ("Offline mode", "Keep working without a connection."),
    ("Open API", "Automate anything with a clean REST API."),
    ("Audit log", "See who changed what, and when."),
    ("Dark mode", "Easy on the eyes, late into the night."),
]
CARD_TITLES = [
    "Getting started guide", "Spring collection", "Mountain cabin retreat", "Weekly team sync",
    "Product roadmap 2025", "City bike rental", "Coffee tasting kit", "Remote work tips",
    "Summer sale", "Design review", "Budget planner", "Morning yoga class", "New office tour",
]
CARD_TEXTS = [
    "A short overview of everything you need to know.",
    "Fresh picks selected by our editors this week.",
    "Two nights in the woods with breakfast included.",
    "Notes, decisions and next steps from Monday.",
    "What we are building next and why it matters.",
    "Simple tips to stay focused and get more done.",
]
ICONS = ["★", "◆", "●", "▲", "■", "♥", "✓", "⚡"]
PLANS = [("Free", 0), ("Starter", 9), ("Basic", 12), ("Pro", 29), ("Team", 49), ("Business", 99),
         ("Enterprise", 199)]
PLAN_PERKS = [
    "Unlimited projects", "5 team members", "10 GB storage", "Email support", "Custom domain",
    "Advanced reports", "Priority support", "Single sign-on", "API access", "100 GB storage",
    "Daily backups", "Audit log",
]
FIRST_NAMES = ["Olivia", "Liam", "Emma", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Sofia", "Leo",
               "Chloe", "Omar", "Priya", "Kenji", "Elena", "Marco", "Zara", "Jonas", "Amara", "Yuki"]
LAST_NAMES = ["Smith", "Garcia", "Chen", "Müller", "Rossi", "Kim", "Patel", "Silva", "Novak",
              "Dubois", "Tanaka", "Okafor", "Larsen", "Cohen", "Ivanova", "Brown"]
ROLES = ["Designer", "Engineer", "Product lead", "Marketing", "Founder", "Analyst", "Support"]
STATUSES = ["Paid", "Pending", "Shipped", "Refunded", "Active", "Draft", "Overdue"]
PRODUCTS = ["Desk lamp", "Wireless mouse", "Notebook", "Water bottle", "Backpack", "Headphones",
            "Keyboard", "Monitor stand", "Plant pot", "Coffee mug"]
CITIES = ["Berlin", "Lisbon", "Toronto", "Osaka", "Austin", "Nairobi", "Oslo", "Lima", "Seoul"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
STAT_LABELS = ["Revenue", "Users", "Orders", "Conversion", "Sessions", "Churn", "Signups", "Tickets"]
SIDEBAR_LINKS = ["Dashboard", "Orders", "Customers", "Products", "Reports", "Messages", "Settings",
                 "Billing", "Team", "Calendar"]
ARTICLE_TITLES = [
    "How we cut our build times in half", "Ten lessons from our first year", "A guide to calm mornings",
    "Designing for accessibility", "What's new in version 3.0", "Why small teams ship faster",
    "The quiet power of good defaults", "Notes from the road: Lisbon", "Pricing is a product feature",
]
ARTICLE_TEXTS = [
    "We measured every step of our pipeline and found surprising wins.",
    "Shipping, hiring and learning to say no to good ideas.",
    "Small routines that make the rest of the day easier.",
    "Practical checks you can add to your next review.",
]
FORM_TITLES = {"contact": "Contact us", "login": "Welcome back", "signup": "Create your account",
               "profile": "Profile settings", "checkout": "Shipping details"}
FORM_FIELDS = {
    "contact": [("Name", "Jane Doe"), ("Email", "you@example.com"), ("Message", "How can we help?")],
    "login": [("Email", "you@example.com"), ("Password", "••••••••")],
    "signup": [("Full name", "Jane Doe"), ("Work email", "jane@company.com"), ("Password", "••••••••")],
    "profile": [("Display name", "Jane"), ("Job title", "Designer"), ("Website", "janedoe.com")],
    "checkout": [("Address", "12 Market Street"), ("City", "Berlin"), ("Postal code", "10115")],
}
SELECT_FIELDS = [("Country", ["Germany", "Canada", "Japan"]), ("Plan", ["Starter", "Pro", "Team"]),
                 ("Topic", ["Sales", "Support", "Billing"]), ("Role", ["Designer", "Engineer"])]
CHECKBOXES = ["Remember me", "Subscribe to updates", "I agree to the terms", "Email me receipts"]
SUBMITS = {"contact": "Send message", "login": "Log in", "signup": "Create account",
           "profile": "Save changes", "checkout": "Continue"}
MODALS = [
    ("Delete project?", "This will remove all files and cannot be undone.", "Delete"),
    ("Save changes?", "You have unsaved edits in this document.", "Save"),
    ("Invite teammates", "Send an invite link to your colleagues.", "Send invite"),
    ("Session expired", "Please log in again to continue.", "Log in"),
]
FOOTER_LINKS = ["Privacy", "Terms", "Status", "Security", "Cookies", "Press", "Help center"]
APP_TITLES = ["Inbox", "Today", "Wallet", "Activity", "Messages", "Explore", "Orders", "Profile"]
TAB_ITEMS = ["Home", "Search", "Alerts", "Profile", "Wallet", "Chats"]
LIST_SUBTITLES = ["2 min ago", "Yesterday", "Sent a photo", "Payment received", "New comment",
                  "Meeting at 10:00", "Order shipped"]

# ---------------------------------------------------------------- long articles and docs
ARTICLE_PARAS = [
    "Last spring our test suite took forty minutes. Today it takes nine, and nobody rewrote it.",
    "The first fix was boring: we cached dependencies and stopped building the same image twice.",
    "Most teams guess where the time goes. We added one timer per step and read the numbers.",
    "Small habits compound. A checklist that takes a minute saves an hour on a bad day.",
    "We asked twelve customers how they start their week. Nine of them open a calendar first.",
    "Good defaults are invisible. People only notice them when they are missing.",
    "Not every idea deserves a sprint. We keep a short list and say no to the rest.",
    "The team moved to weekly releases in March, and support tickets fell by a third.",
    "Accessibility is not a feature you add at the end. It is part of every review.",
    "Our new editor loads in under a second on a five-year-old laptop.",
    "Pricing pages are read more closely than any other page on the site.",
    "By the third week the new routine felt normal, and nobody wanted to go back.",
    "Version 3.0 brings offline mode, faster search and a cleaner settings page.",
    "Lisbon in October is warm, quiet and full of small cafes that open at seven.",
]
ARTICLE_HEADS = ["Where the time went", "What we changed", "The numbers", "Lessons learned",
                 "What comes next", "Getting started", "Why it matters", "A closer look"]
QUOTES = ["Make it work, make it right, make it fast.", "The best code is the code you never write.",
          "Simple things should be simple.", "We shipped less and learned more."]
FIGCAPTIONS = ["Build times over the last six months.", "The new settings page.",
               "Our office in Lisbon.", "Weekly active users, 2024 to 2025."]
CODE_SNIPPETS = [
    ["npm install @acme/client", "npx acme init"],
    ["const client = new Client({ key });", "const user = await client.users.get(42);"],
    ["def total(items):", "    return sum(i.price for i in items)"],
    ["curl -X POST /api/v1/orders \\", "  -d '{\"qty\": 2}'"],
    ["git checkout -b fix/login", "git commit -am \"Fix login redirect\""],
    ["SELECT name, total FROM orders", "WHERE status = 'paid';"],
]
LIST_POINTS = ["Cache every dependency", "Run slow tests in parallel", "Measure before you change",
               "Delete dead code", "Write the docs first", "Review in small batches"]
DOC_NAV = [
    ("Getting started", ["Installation", "Quick start", "Configuration"]),
    ("Guides", ["Authentication", "Webhooks", "Pagination", "Errors"]),
    ("API reference", ["Users", "Orders", "Payments", "Events"]),
    ("Resources", ["Changelog", "Migration", "FAQ"]),
]
DOC_INTROS = [
    "This guide shows you how to install the client and make your first request.",
    "Every request must be signed with an API key from your dashboard.",
    "List endpoints return results in pages of up to 100 items.",
    "Webhooks notify your server when something happens in your account.",
]
DOC_PARAMS = [("id", "string", "Unique identifier."), ("limit", "integer", "Items per page, up to 100."),
              ("email", "string", "The user's email address."), ("created", "timestamp", "When it was made."),
              ("status", "enum", "One of active, paused or closed."), ("cursor", "string", "Where to resume.")]
NOTES = ["Keep your API key secret. Never commit it to a repository.",
         "Requests are limited to 100 per minute per key.",
         "Test mode keys start with sk_test."]

# ---------------------------------------------------------------- admin, settings, shop
TABLE_COLUMNS = ["ID", "Customer", "Email", "City", "Date", "Status", "Amount"]
FILTER_SELECTS = [("Status", ["All statuses", "Paid", "Pending", "Refunded"]),
                  ("Range", ["Last 30 days", "Last 7 days", "This year"])]
ADMIN_TITLES = ["Orders", "Customers", "Invoices", "Transactions", "Users"]
NAV_GROUPS = [("Overview", ["Dashboard", "Reports", "Analytics"]), ("Sales", ["Orders", "Customers", "Invoices"]),
              ("Store", ["Products", "Inventory", "Discounts"]), ("Admin", ["Team", "Settings", "Billing"])]
SETTINGS_TABS = ["Profile", "Account", "Notifications", "Security", "Billing", "Integrations"]
SETTINGS_FIELDS = [
    # (label, value typed so far, error shown under it or "")
    ("Full name", "Jane Doe", ""),
    ("Email", "jane@company", "Please enter a valid email address."),
    ("Username", "jd", "Must be at least 3 characters."),
    ("Password", "", "Password is required."),
    ("Phone", "+49 30 1234", ""),
    ("Company", "Acme Inc.", ""),
    ("Website", "acme", "Enter a full URL, e.g. https://acme.com."),
]
TOGGLES = ["Email notifications", "Weekly summary", "Two-factor login", "Product updates", "Dark mode"]
PRODUCT_NAMES = ["Linen shirt", "Desk lamp", "Ceramic mug", "Wool scarf", "Leather wallet", "Canvas tote",
                 "Running shoes", "Wireless earbuds", "Water bottle", "Notebook set", "Plant pot", "Sunglasses"]
SHOP_CATEGORIES = ["Clothing", "Home", "Kitchen", "Accessories", "Shoes", "Electronics", "Outdoor"]
SORTS = ["Featured", "Price: low to high", "Newest"]

# ---------------------------------------------------------------- old-style sites (table and float layouts)
OLD_NAV = ["Home", "News", "About us", "Downloads", "Gallery", "Guestbook", "Links", "Forum", "Contact"]
OLD_TAGLINES = ["Your source for local news since 1998", "The home of vintage radio collectors",
                "Official site of the Riverside Chess Club", "Free tutorials for beginners"]
OLD_NEWS = [
    ("New members welcome", "Our spring meeting is on Saturday at the town hall. Everyone is welcome."),
    ("Site updated", "We added twenty new photos to the gallery and fixed the broken links."),
    ("Summer tournament", "Sign up by June 30. Prizes for the top three players in each group."),
    ("Downloads moved", "All files are now on the downloads page. Please update your bookmarks."),
    ("Thank you", "Our guestbook passed 1,000 entries this month. Thanks for visiting!"),
]
OLD_BOXES = [("Links", ["Partner sites", "Web ring", "Old archive"]), ("Search", []),
             ("Visitors", ["Online now: 12", "Today: 341"])]


def brand(rng: random.Random) -> str:
    return rng.choice(BRAND_HEADS) + rng.choice(BRAND_TAILS)


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def money(rng: random.Random, lo: int = 5, hi: int = 900) -> str:
    return f"${rng.randint(lo, hi)}.{rng.choice(['00', '50', '99', '25'])}"


def date(rng: random.Random) -> str:
    return f"{rng.choice(MONTHS)} {rng.randint(1, 28)}, 2025"


def stat_value(rng: random.Random, label: str) -> str:
    if label in ("Revenue",):
        return f"${rng.randint(2, 98)},{rng.randint(100, 999)}"
    if label in ("Conversion", "Churn"):
        return f"{rng.randint(1, 9)}.{rng.randint(0, 9)}%"
    return f"{rng.randint(1, 99)},{rng.randint(100, 999)}"


def delta(rng: random.Random) -> tuple[str, bool]:
    up = rng.random() < 0.7
    return f"{'+' if up else '-'}{rng.randint(1, 24)}.{rng.randint(0, 9)}%", up


def sample(rng: random.Random, items, k: int):
    """`k` distinct items in random order (all of them when fewer exist)."""
    return rng.sample(list(items), min(k, len(items)))
