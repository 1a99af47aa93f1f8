#!/usr/bin/env python3
"""Writes GauMLNet's bundled CLUE-format sample data from hand-written templates (no dataset is copied).

sentiment/  EPRSTMT format: {"id", "sentence", "label": "Positive"|"Negative"}   (single sentence)
matching/   AFQMC format:   {"id", "sentence1", "sentence2", "label": "0"|"1"}  (sentence pair)
entities/   CLUENER format: {"id", "text", "label": {type: {entity: [[start, end]]}}}  (named entities, end inclusive)
Test files carry no labels. Run from this folder: python3 make_sample_data.py
"""
import json, random

rng = random.Random(20221123)

PRODUCTS = ["手机", "耳机", "衣服", "鞋子", "这本书", "电脑", "杯子", "背包", "键盘", "台灯", "电视", "相机", "被子", "充电器", "书包", "手表"]
OPENERS = ["这个{p}", "买的{p}", "收到{p}了", "第一次买{p}", "给家人买的{p}", "昨天到的{p}", "双十一买的{p}", "朋友推荐的{p}"]
GOOD = ["质量很好", "非常满意", "物流很快", "做工精细", "性价比高", "值得购买", "声音清楚", "穿着舒服", "包装精美", "客服态度好",
        "会回购的", "超出预期", "颜色好看", "用起来很顺手", "比实体店便宜", "孩子很喜欢"]
BAD = ["质量太差", "很失望", "物流太慢", "做工粗糙", "不值这个价", "用了两天就坏了", "声音很小", "穿着不舒服", "包装破损", "客服不理人",
       "不会再买了", "跟描述不符", "颜色很难看", "用起来很卡", "比实体店还贵", "有一股怪味"]
ENDINGS = ["", "。", "！", "。", "，就这样吧。", "…"]


def review():
    positive = rng.random() < 0.5
    own, other = (GOOD, BAD) if positive else (BAD, GOOD)
    opener = rng.choice(OPENERS).format(p=rng.choice(PRODUCTS))
    if rng.random() < 0.2:  # mixed review: the clause after 但是 decides
        text = f"{opener}，虽然{rng.choice(other)}，但是{rng.choice(own)}"
    else:
        text = opener + "，" + "，".join(rng.sample(own, rng.randint(1, 2)))
    return text + rng.choice(ENDINGS), "Positive" if positive else "Negative"


INTENTS = [
    ["怎么提高借呗额度", "借呗额度如何提升", "怎样才能增加借呗的额度", "借呗额度太低了怎么办"],
    ["花呗怎么还款", "花呗在哪里还钱", "如何还花呗", "花呗的钱怎么还"],
    ["怎么修改支付密码", "支付密码忘了怎么改", "如何重置支付密码", "支付密码在哪里修改"],
    ["申请退款要多久到账", "退款几天能到账", "退款什么时候到", "退的钱多久能收到"],
    ["怎么开通花呗", "花呗如何开通", "为什么开通不了花呗", "开通花呗需要什么条件"],
    ["借呗逾期有什么影响", "借呗晚还几天会怎样", "借呗逾期会影响征信吗", "借呗没按时还款会怎么样"],
    ["转账限额是多少", "一天最多能转多少钱", "转账有额度限制吗", "怎么提高转账限额"],
    ["怎么绑定银行卡", "银行卡如何绑定", "添加银行卡在哪里", "怎样绑定新的银行卡"],
    ["怎么注销账户", "账户如何注销", "不想用了怎么销户", "注销账号需要什么"],
    ["在哪里查看账单", "怎么查花呗账单", "本月账单在哪看", "如何查询每月的账单"],
]
PREFIXES = ["", "", "请问", "我想问下", "你好，"]
SUFFIXES = ["", "？", "呢", "啊", "？？"]


def question(intent):
    return rng.choice(PREFIXES) + rng.choice(INTENTS[intent]) + rng.choice(SUFFIXES)


def pair():
    a = rng.randrange(len(INTENTS))
    same = rng.random() < 0.5
    b = a if same else rng.choice([i for i in range(len(INTENTS)) if i != a])
    s1, s2 = question(a), question(b)
    while same and s1 == s2:
        s2 = question(b)
    return s1, s2, "1" if same else "0"


def write(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


for split, n in [("train", 1200), ("dev", 300), ("test", 300)]:
    rows = []
    for i in range(n):
        text, label = review()
        row = {"id": i, "sentence": text}
        if split != "test":
            row["label"] = label
        rows.append(row)
    write(f"sentiment/{split}.json", rows)

for split, n in [("train", 1200), ("dev", 300), ("test", 300)]:
    rows = []
    for i in range(n):
        s1, s2, label = pair()
        row = {"id": i, "sentence1": s1, "sentence2": s2}
        if split != "test":
            row["label"] = label
        rows.append(row)
    write(f"matching/{split}.json", rows)


# Named entities, CLUENER-style: people, companies, positions, places, organizations, games and books in news-like sentences.
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴婷", "徐明", "孙丽", "马超", "朱琳", "胡斌", "郭强"]
COMPANIES = ["华为", "腾讯", "阿里巴巴", "小米科技", "京东集团", "百度公司", "网易", "字节跳动", "美团", "联想集团"]
POSITIONS = ["总经理", "首席执行官", "技术总监", "董事长", "产品经理", "副总裁", "主任", "教练"]
PLACES = ["北京", "上海", "广州", "深圳", "成都", "杭州", "武汉", "南京", "西安", "重庆", "长沙", "苏州"]
ORGANIZATIONS = ["北京大学", "清华大学", "中国足协", "红十字会", "国家队", "复旦大学", "科学院"]
GAMES = ["王者荣耀", "英雄联盟", "魔兽世界", "原神", "梦幻西游"]
BOOKS = ["《三体》", "《活着》", "《围城》", "《红楼梦》", "《平凡的世界》"]
TEMPLATES = [
    "{name:name}是{company:company}的{position:position}。",
    "{company:company}在{address:address}召开发布会，{name:name}出席。",
    "{name:name}毕业于{organization:organization}，现任{company:company}{position:position}。",
    "记者从{address:address}获悉，{organization:organization}将于下月举办活动。",
    "很多玩家在{address:address}参加了{game:game}的比赛。",
    "{name:name}推荐大家读一读{book:book}。",
    "据{company:company}透露，{game:game}的新版本即将上线。",
    "今天{name:name}和{name:name}一起去了{address:address}。",
    "{organization:organization}的{position:position}{name:name}表示，{book:book}值得一读。",
    "2024年{company:company}在{address:address}新开了一家门店。",
]
POOLS = {"name": NAMES, "company": COMPANIES, "position": POSITIONS, "address": PLACES, "organization": ORGANIZATIONS, "game": GAMES, "book": BOOKS}


def entity_sentence():
    template = rng.choice(TEMPLATES)
    text, label, i = "", {}, 0
    while i < len(template):
        if template[i] == "{":
            j = template.index("}", i)
            _, kind = template[i + 1:j].split(":")
            mention = rng.choice(POOLS[kind])
            start = len(text)
            text += mention
            label.setdefault(kind, {}).setdefault(mention, []).append([start, len(text) - 1])
            i = j + 1
        else:
            text += template[i]
            i += 1
    return text, label


for split, n in [("train", 600), ("dev", 150), ("test", 150)]:
    rows = []
    for i in range(n):
        text, label = entity_sentence()
        row = {"id": i, "text": text}
        if split != "test":
            row["label"] = label
        rows.append(row)
    write(f"entities/{split}.json", rows)
