"""parse_citation: the usual reference styles found in footnotes, best effort."""

from __future__ import annotations

import pytest

from notebase.core.citation import parse_citation


@pytest.mark.parametrize(
    ("text", "authors", "title", "venue", "year"),
    [
        (  # the seed's Chicago-like style
            'Finn, Chelsea, Pieter Abbeel, and Sergey Levine. "Model-agnostic meta-learning for '
            'fast adaptation of deep networks." *International Conference on Machine Learning '
            "(ICML)*, 2017.",
            ["Chelsea Finn", "Pieter Abbeel", "Sergey Levine"],
            "Model-agnostic meta-learning for fast adaptation of deep networks",
            "International Conference on Machine Learning (ICML)",
            2017,
        ),
        (
            'Hospedales, Timothy M., et al. "Meta-learning in neural networks: A survey." '
            "*IEEE TPAMI*, 2021.",
            ["Timothy M. Hospedales", "et al."],
            "Meta-learning in neural networks: A survey",
            "IEEE TPAMI",
            2021,
        ),
        (  # curly quotes, no italics
            "Finn, Chelsea. “Learning to Learn with Gradients.” PhD thesis, UC Berkeley, 2018.",
            ["Chelsea Finn"],
            "Learning to Learn with Gradients",
            "PhD thesis",
            2018,
        ),
        (  # Chicago, book: italic title, publisher
            "Griewank, Andreas, and Andrea Walther. *Evaluating Derivatives*. 2nd ed. "
            "Philadelphia: SIAM, 2008.",
            ["Andreas Griewank", "Andrea Walther"],
            "Evaluating Derivatives",
            "Philadelphia: SIAM",
            2008,
        ),
        (  # Chicago, journal with volume and pages: the year in parentheses wins
            'Pearlmutter, Barak A. "Fast Exact Multiplication by the Hessian." *Neural '
            "Computation* 6, no. 1 (1994): 1500-1600.",
            ["Barak A. Pearlmutter"],
            "Fast Exact Multiplication by the Hessian",
            "Neural Computation",
            1994,
        ),
        (  # APA
            "Finn, C., Abbeel, P., & Levine, S. (2017). Model-agnostic meta-learning for fast "
            "adaptation of deep networks. In *ICML*.",
            ["C. Finn", "P. Abbeel", "S. Levine"],
            "Model-agnostic meta-learning for fast adaptation of deep networks",
            "ICML",
            2017,
        ),
        (  # Author (Year). Title. Venue.
            "Nichol, A. (2018). On first-order meta-learning algorithms. arXiv preprint.",
            ["A. Nichol"],
            "On first-order meta-learning algorithms",
            "arXiv preprint",
            2018,
        ),
        (
            "Rajeswaran et al. (2019). Meta-learning with implicit gradients. NeurIPS.",
            ["Rajeswaran", "et al."],
            "Meta-learning with implicit gradients",
            "NeurIPS",
            2019,
        ),
        (  # gen_vault / korean_queries short style
            "Müller et al., 2019, *Transfer Learning*.",
            ["Müller", "et al."],
            "Transfer Learning",
            None,
            2019,
        ),
        (  # Korean names are never inverted
            "김철수, 이영희 (2020). 메타러닝의 비용. *한국정보과학회*.",
            ["김철수", "이영희"],
            "메타러닝의 비용",
            "한국정보과학회",
            2020,
        ),
        (  # a URL is not a year
            "Finn, C. (2017). Model-agnostic meta-learning. https://arxiv.org/abs/1703.03400",
            ["C. Finn"],
            "Model-agnostic meta-learning",
            None,
            2017,
        ),
    ],
)
def test_citation_styles(text, authors, title, venue, year):
    citation = parse_citation(text)
    assert citation.authors == authors
    assert citation.title == title
    assert citation.venue == venue
    assert citation.year == year


@pytest.mark.parametrize(
    "text",
    [
        "",
        "메타러닝에 대한 개인 메모.",
        "See https://arxiv.org/abs/1703.03400 for details.",
        "> only a quote",
        "[[MAML 정리]] 참고",
    ],
)
def test_non_citations_leave_every_field_empty(text):
    citation = parse_citation(text)
    assert (citation.authors, citation.title, citation.venue, citation.year) == (
        [],
        None,
        None,
        None,
    )


def test_only_the_first_line_is_the_reference():
    text = 'Finn, Chelsea. "Title one." *ICML*, 2017.\n> "A quote from 2020 with *italics*."'
    citation = parse_citation(text)
    assert (citation.title, citation.venue, citation.year) == ("Title one", "ICML", 2017)
