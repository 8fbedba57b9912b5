"""Twin queries page with x-ms-max-item-count and x-ms-continuation."""
import unittest

from azure.iot.hub.models import QuerySpecification, Twin

from common import create_device, registry


class Queries(unittest.TestCase):
    def test_paging_until_the_last_page(self):
        reg = registry()
        for i in range(7):
            create_device(f"query-dev-{i}")
            reg.update_twin(f"query-dev-{i}", Twin(tags={"fleet": "paging", "index": i}))
        spec = QuerySpecification(query="SELECT * FROM devices WHERE tags.fleet = 'paging'")
        ids, pages, token = [], 0, None
        while True:
            page = reg.query_iot_hub(spec, token, 3)
            self.assertEqual(page.type, "twin")
            self.assertLessEqual(len(page.items), 3)
            ids += [t.device_id for t in page.items]
            pages += 1
            token = page.continuation_token
            if not token:
                break
            self.assertLess(pages, 10, "paging must end")
        self.assertEqual(pages, 3)
        self.assertEqual(sorted(ids), [f"query-dev-{i}" for i in range(7)])

        one = reg.query_iot_hub(QuerySpecification(query="SELECT * FROM devices WHERE tags.index = 4"))
        self.assertEqual([(t.device_id, t.tags["index"]) for t in one.items], [("query-dev-4", 4)])
        self.assertIsNone(one.continuation_token)
