"""Every user-facing string, one catalogue per language."""

from __future__ import annotations

DEFAULT_LANGUAGE = "ja"

CATALOGUE: dict[str, dict[str, str]] = {
    "ja": {
        "welcome": "{name}さん、友だち追加ありがとうございます!会員証をお作りしました。"
        "お会計のときにこの画面のバーコードをお見せください。",
        "welcome_back": "{name}さん、おかえりなさい!会員証とポイントはそのままです。",
        "card_alt": "{store} 会員証 会員番号 {number} / {balance}ポイント",
        "card_title": "会員証",
        "member_number": "会員番号",
        "points": "ポイント",
        "points_unit": "{points} pt",
        "refresh_card": "会員証を更新",
        "show_card_hint": "お会計のときにバーコードをお見せください",
        "receipt_alt": "{store} お買い上げ {amount} / {earned}ポイント獲得 / "
        "残高 {balance}ポイント",
        "receipt_title": "電子レシート",
        "receipt_thanks": "お買い上げありがとうございます",
        "receipt_amount": "お買い上げ金額",
        "receipt_earned": "獲得ポイント",
        "receipt_used": "利用ポイント",
        "receipt_balance": "ポイント残高",
        "receipt_time": "日時",
        "receipt_store": "店舗",
        "yen": "¥{amount}",
        "points_title": "ポイント",
        "points_alt": "ポイント残高 {balance} pt / ランク {rank}",
        "balance": "残高",
        "rank": "ランク",
        "next_rank": "あと{amount}のお買い物で{rank}",
        "top_rank": "最上位ランクです",
        "expiring": "失効予定",
        "expiring_row": "{date}まで",
        "nothing_expiring": "失効予定のポイントはありません",
        "history_button": "履歴を見る",
        "history_title": "ポイント履歴",
        "history_alt": "ポイント履歴（{count}件）",
        "history_empty": "まだポイントの履歴はありません。",
        "history_older": "さらに前の履歴",
        "kind_earn": "お買い上げ {store}",
        "kind_redeem": "ポイント利用 {store}",
        "kind_restore": "返品: 利用分の返却 {store}",
        "kind_reverse": "返品: 獲得分の取消 {store}",
        "kind_expire": "有効期限切れ",
        "kind_adjust": "調整: {reason}",
        "kind_other": "ポイントの変動",
        "date_format": "{month}月{day}日 {hour:02d}:{minute:02d}",
        "date_long": "{year}年{month}月{day}日",
        "help": "できること:\n・会員証: お会計のときにバーコードをお見せください\n"
        "・ポイント: 残高・ランク・失効予定\n・履歴: ポイントの増減\n"
        "メニューのボタンか、「会員証」「ポイント」「履歴」と送ってください。",
        "no_rewards": "いまご利用いただける特典はありません。"
        "ポイントはお会計で1ポイント1円として使えます。",
        "not_member": "会員証がまだありません。友だち追加し直すと会員証をお作りします。",
        "fallback": "「会員証」と送ると会員証を表示します。",
    },
    "en": {
        "welcome": "Thanks for adding us, {name}! Here is your membership card. "
        "Show this barcode at the till when you pay.",
        "welcome_back": "Welcome back, {name}! Your card and points are just as you left them.",
        "card_alt": "{store} membership card No. {number} / {balance} points",
        "card_title": "Membership card",
        "member_number": "Member No.",
        "points": "Points",
        "points_unit": "{points} pt",
        "refresh_card": "Refresh card",
        "show_card_hint": "Show this barcode at the till",
        "receipt_alt": "{store} purchase {amount} / {earned} points earned / balance {balance}",
        "receipt_title": "E-receipt",
        "receipt_thanks": "Thank you for shopping with us",
        "receipt_amount": "Amount",
        "receipt_earned": "Points earned",
        "receipt_used": "Points used",
        "receipt_balance": "Balance",
        "receipt_time": "Date",
        "receipt_store": "Store",
        "yen": "¥{amount}",
        "points_title": "Points",
        "points_alt": "Balance {balance} pt / rank {rank}",
        "balance": "Balance",
        "rank": "Rank",
        "next_rank": "Spend {amount} more to reach {rank}",
        "top_rank": "You are at the top rank",
        "expiring": "Expiring",
        "expiring_row": "by {date}",
        "nothing_expiring": "No points are due to expire",
        "history_button": "History",
        "history_title": "Points history",
        "history_alt": "Points history ({count} entries)",
        "history_empty": "No points history yet.",
        "history_older": "Older entries",
        "kind_earn": "Purchase {store}",
        "kind_redeem": "Points used {store}",
        "kind_restore": "Return: points given back {store}",
        "kind_reverse": "Return: points taken back {store}",
        "kind_expire": "Expired",
        "kind_adjust": "Adjustment: {reason}",
        "kind_other": "Points change",
        "date_format": "{day}/{month} {hour:02d}:{minute:02d}",
        "date_long": "{day}/{month}/{year}",
        "help": "What you can do:\n- Card: show the barcode at the till\n"
        "- Points: balance, rank and what expires when\n- History: every change to your points\n"
        "Tap the menu, or send “card”, “points” or “history”.",
        "no_rewards": "No rewards are on offer right now. At the till, 1 point pays 1 yen.",
        "not_member": "You have no card yet. Block and unblock us to get one.",
        "fallback": "Send “card” to see your membership card.",
    },
}


def language_for(profile_language: str | None) -> str:
    """English for LINE profiles whose language starts with ``en``, Japanese otherwise."""
    if profile_language and profile_language.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def text(language: str, key: str, **values: object) -> str:
    """The catalogue string ``key`` in ``language`` (Japanese if unknown), formatted."""
    catalogue = CATALOGUE.get(language, CATALOGUE[DEFAULT_LANGUAGE])
    return catalogue[key].format(**values)
