"""The names findings and claims speak about and the words `finding_text` says them with, in
English and Korean; apart from the fits, so that checking a spec's claims (every time a spec
loads) does not import numpy."""

MODELS = ("constant", "linear", "exponential")
"""Growth models a finding chooses between and a growth claim may expect."""
METRICS = ("seconds_per_iteration", "peak_memory_bytes", "tasks_per_second")
"""The cost metrics findings and claims speak about."""

WORDS = {
    "en": {
        "seconds_per_iteration": "time per iteration",
        "peak_memory_bytes": "peak memory",
        "tasks_per_second": "tasks/s",
        "constant": "stays flat",
        "linear": "grows linearly",
        "exponential": "grows exponentially",
        "supported": "supported",
        "not-supported": "not supported",
        "inconclusive": "inconclusive",
        "answer": "Answer",
        "findings": "Findings",
        "claims": "Claims",
        "per": "per",
        "step": "step",
        "better": "{winner} fits {times}× better than {other}",
        "points": "{n} points",
        "few-points": "too few sweep points ({n}; 3 are needed)",
        "shape": "it grows, but {n} points cannot tell linear from exponential",
        "not-finite": "a value is missing",
        "tie": "flat and {other} fit about equally well",
        "noise": "the noise is as large as the change over the sweep",
        "weak": "{winner} fits only {times}× better than {other}",
        "undecided": "{metric} {along}: inconclusive ({why})",
        "growth": "{metric} {model} with {along}{rate} ({how})",
        "flat": "{metric} stays flat along {along} (about {value}; {how})",
        "flat_how": "no growth model fits better",
        "ratio": "{of}/{to}: {parts}",
        "ratio_part": "{metric} {low}–{high}×",
        "one_ratio": "{metric} {low}×",
        "learnt": "Held-out loss after adaptation (lowest per algorithm): {parts}",
        "learnt_part": "{algorithm} {post} (before {pre})",
        "did-not-learn": "{algorithm} did not learn at {where} (held-out loss {pre} → {post})",
        "cg-curvature": (
            "{algorithm}: conjugate gradient met non-positive curvature ({share} of steps) "
            "at {where}; its implicit gradient is unreliable there"
        ),
        "cg-residual": (
            "{algorithm}: conjugate gradient did not converge at {where} (relative residual "
            "{residual}); its implicit gradient is unreliable there"
        ),
        "bound_least": "≥ {value}",
        "bound_most": "≤ {value}",
        "ratio_claim": "measured {low}–{high}× ({holds} of {n} sweep points meet {bound})",
        "no_rows": "no rows to compare",
        "equal": "at equal quality (held-out loss ≤ {target}): {parts}",
        "reach_part": "{algorithm} {value} at {where}",
        "never": "{algorithm} never reaches it",
        "equal_ratio": "; {of}/{to} {ratio}× ({bound})",
        "none": "nothing conclusive",
        "scaling": (
            "{algorithm}, {where}: {n} processes {verdict}: {speedup}× the tasks/s of one "
            "({rate} vs {single} tasks/s), communication {share} of an iteration"
        ),
        "pays": "pay",
        "eaten": "do not pay, communication eats the gain",
        "no-gain": "do not pay",
        "scaling_summary": "{n} processes pay at {pays}; not at {rest}",
        "scaling_all": "{n} processes pay everywhere measured ({low}–{high}×)",
        "scaling_none": "{n} processes never pay here (best {best}× at {where})",
        "load": (
            "Measured on {cpus} CPUs at a 1-minute load average of {load} when the points "
            "started (this run's own processes included): other work shared the CPUs, so "
            "these speed-ups are this machine's at that time, not a property of the split"
        ),
    },
    "ko": {
        "seconds_per_iteration": "반복당 시간",
        "peak_memory_bytes": "최대 메모리",
        "tasks_per_second": "초당 작업 수",
        "constant": "일정하다",
        "linear": "선형으로 늘어난다",
        "exponential": "지수적으로 늘어난다",
        "supported": "지지됨",
        "not-supported": "지지되지 않음",
        "inconclusive": "판단 불가",
        "answer": "답",
        "findings": "발견",
        "claims": "주장 검증",
        "per": "당",
        "step": "스텝",
        "better": "{winner} 모형이 {other} 모형보다 {times}배 잘 맞음",
        "points": "점 {n}개",
        "few-points": "스윕 점이 너무 적음 ({n}개, 3개 필요)",
        "shape": "늘어나지만 점 {n}개로는 선형과 지수를 가를 수 없음",
        "not-finite": "값이 빠져 있음",
        "tie": "일정 모형과 {other} 모형이 비슷하게 맞음",
        "noise": "잡음이 스윕 전체의 변화만큼 큼",
        "weak": "{winner} 모형이 {other} 모형보다 {times}배밖에 낫지 않음",
        "undecided": "{metric}의 {along}에 따른 변화: 판단 불가 ({why})",
        "growth": "{metric}: {along}에 따라 {model}{rate} ({how})",
        "flat": "{metric}: {along}와 무관하게 일정하다 (약 {value}; {how})",
        "flat_how": "증가 모형이 더 잘 맞지 않음",
        "ratio": "{of}/{to}: {parts}",
        "ratio_part": "{metric} {low}–{high}배",
        "one_ratio": "{metric} {low}배",
        "learnt": "적응 후 검증 손실 (알고리즘별 최저): {parts}",
        "learnt_part": "{algorithm} {post} (적응 전 {pre})",
        "did-not-learn": "{algorithm}: {where}에서 학습하지 못했다 (검증 손실 {pre} → {post})",
        "cg-curvature": (
            "{algorithm}: 켤레 기울기법이 {where}에서 양이 아닌 곡률을 만났다 (스텝의 {share}); "
            "그 암묵적 그래디언트는 믿기 어렵다"
        ),
        "cg-residual": (
            "{algorithm}: 켤레 기울기법이 {where}에서 수렴하지 않았다 (상대 잔차 {residual}); "
            "그 암묵적 그래디언트는 믿기 어렵다"
        ),
        "bound_least": "≥ {value}",
        "bound_most": "≤ {value}",
        "ratio_claim": "측정값 {low}–{high}배 (스윕 점 {n}개 중 {holds}개가 {bound} 충족)",
        "no_rows": "비교할 행이 없음",
        "equal": "같은 품질(검증 손실 ≤ {target})에서: {parts}",
        "reach_part": "{algorithm} {where}에서 {value}",
        "never": "{algorithm}: 도달하지 못함",
        "equal_ratio": "; {of}/{to} {ratio}배 ({bound})",
        "none": "결론 없음",
        "scaling": (
            "{algorithm}, {where}: 프로세스 {n}개는 {verdict}: 초당 작업 수가 1개의 {speedup}배 "
            "({rate} 대 {single}), 통신이 반복의 {share}"
        ),
        "pays": "이득이다",
        "eaten": "이득이 없다, 통신이 이득을 먹는다",
        "no-gain": "이득이 없다",
        "scaling_summary": "프로세스 {n}개는 {pays}에서 이득이고 {rest}에서는 아니다",
        "scaling_all": "프로세스 {n}개는 잰 모든 곳에서 이득이다 ({low}–{high}배)",
        "scaling_none": "프로세스 {n}개는 여기서 이득이 없다 (최고 {best}배, {where})",
        "load": (
            "CPU {cpus}개에서, 점이 시작될 때 1분 부하 평균 {load}로 쟀다 (이 실행의 프로세스 "
            "포함): 다른 작업이 CPU를 나눠 썼으니 이 배율은 그때 이 머신의 것이지 나누기 자체의 "
            "성질이 아니다"
        ),
    },
}
MODEL_NAMES = {
    "en": {"constant": "flat", "linear": "linear", "exponential": "exponential"},
    "ko": {"constant": "일정", "linear": "선형", "exponential": "지수"},
}
PARAMETERS = {
    "en": {"inner_steps": "inner steps", "meta_batch": "meta-batch size", "shots": "shots",
           "hidden": "width", "processes": "processes"},
    "ko": {"inner_steps": "내부 스텝 수", "meta_batch": "메타 배치 크기", "shots": "샷 수",
           "hidden": "은닉층 폭", "processes": "프로세스 수"},
}
UNIT_OF = {"inner_steps": {"en": "step", "ko": "스텝"}}
