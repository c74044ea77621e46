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
