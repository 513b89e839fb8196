"""Vendor faults injected into a good share of calls (429, 500, 503, timeouts, garbage bodies) through the
real SDKs: every job still ends completed or failed, none stays running, the failed ones say why in
words that name the vendor and leak nothing, and the API never answers 500."""

from __future__ import annotations

import httpx
import respx
from pydantic import SecretStr

from bench.faults import OPENAI, run
from config import Settings
from external_services import OpenAIClient, RetryPolicy
from app.services.providers.openai_text import OpenAITextModel
from app.factory import create_app
from tests.conftest import Sleeps, services
from tests.fakes.faults import KINDS, FaultInjector
from tests.fakes.openai import FakeOpenAI


async def test_many_jobs_under_injected_faults_all_settle_with_reasons(sleeps: Sleeps) -> None:
    report = await run(jobs=6, rate=0.3, scenes=2, seed=11, sleep=sleeps)
    assert report.stuck == 0 and report.refused[500] == 0
    assert set(report.statuses) <= {"completed", "failed"}
    assert sum(report.statuses.values()) + sum(report.refused.values()) == 6
    assert set(report.faults) == set(KINDS), report.faults  # every kind of fault really happened
    assert sum(report.faults.values()) >= 0.2 * report.vendor_requests
    assert report.statuses["completed"] >= 3  # retries rescue most jobs; without them nearly all would fail
    assert sleeps.delays, "our retry policy never ran"
    for reason in report.reasons:
        assert reason.startswith(("OpenAI ", "fal.ai ")), reason
        assert "injected" not in reason and "Traceback" not in reason


async def test_garbage_from_the_vendor_is_a_clear_failure_never_a_500(settings: Settings, sleeps: Sleeps) -> None:
    """A regression: an unreadable moderation answer used to escape as a 500 from the request itself. Since
    issue 16 an unreachable OpenAI moderation leaves the local moderator's verdict (a fit topic is accepted);
    the writer's own call then gets garbage too, and the job fails saying so: never a 500."""
    faults = FaultInjector(rate=1.0, kinds=("garbage",))
    openai_settings = settings.model_copy(
        update={"text_provider": "openai", "openai_base_url": OPENAI, "openai_api_key": SecretStr("sk-test")}
    )
    app = create_app(openai_settings)
    with respx.mock(assert_all_called=False) as router:
        router.route(host="api.openai.test").mock(side_effect=faults.wrap(FakeOpenAI().handle))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
        ):
            services(app).pipeline.text = OpenAITextModel(
                OpenAIClient(openai_settings, policy=RetryPolicy(sleep=sleeps))
            )
            answer = await client.post("/api/v1/comics/scenes/generate", json={"topic": "road safety"})
            assert answer.status_code == 202, answer.text
            await services(app).runner.wait_idle()
            job = (await client.get(answer.json()["status_url"])).json()
    assert job["status"] == "failed" and job["error"]["message"].startswith(
        "OpenAI sent an answer that could not be read"
    )
    assert "Traceback" not in job["error"]["message"]
    assert faults.injected["garbage"] == 12 and len(sleeps.delays) == 10  # moderation, then the writer: 6 tries each
