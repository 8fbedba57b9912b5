package offhub.compat;

import static offhub.compat.Hub.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.microsoft.azure.sdk.iot.service.query.QueryClient;
import com.microsoft.azure.sdk.iot.service.query.QueryPageOptions;
import com.microsoft.azure.sdk.iot.service.query.RawQueryResponse;
import com.microsoft.azure.sdk.iot.service.query.TwinQueryResponse;
import com.microsoft.azure.sdk.iot.service.twin.Twin;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Twin queries page with x-ms-max-item-count and x-ms-continuation; raw queries aggregate. */
class QueryTest {
  @Test
  void pagingUntilTheLastPage() throws Exception {
    for (int i = 0; i < 7; i++) {
      createDevice("query-dev-" + i);
      Twin tags = new Twin("query-dev-" + i);
      tags.getTags().put("fleet", "paging");
      tags.getTags().put("index", i);
      twins().patch(tags);
    }
    QueryClient query = query();
    String sql = "SELECT * FROM devices WHERE tags.fleet = 'paging'";
    QueryPageOptions pageOfThree = QueryPageOptions.builder().pageSize(3).build();

    List<String> ids = new ArrayList<>();
    int pages = 0;
    String token = null;
    do {
      QueryPageOptions options = token == null ? pageOfThree
          : QueryPageOptions.builder().pageSize(3).continuationToken(token).build();
      TwinQueryResponse page = query.queryTwins(sql, options);
      pages++;
      for (int i = 0; i < 3 && page.hasNext(); i++) ids.add(page.next().getDeviceId());
      token = page.getContinuationToken();
      assertTrue(pages < 10, "paging must end");
    } while (token != null);
    assertEquals(3, pages);
    ids.sort(null);
    assertEquals(List.of("query-dev-0", "query-dev-1", "query-dev-2", "query-dev-3", "query-dev-4", "query-dev-5",
        "query-dev-6"), ids);

    // The SDK's own iteration follows the continuation tokens by itself.
    TwinQueryResponse all = query.queryTwins(sql, pageOfThree);
    int count = 0;
    while (all.hasNext()) {
      assertNotNull(all.next().getTags().get("index"));
      count++;
    }
    assertEquals(7, count);
    assertNull(all.getContinuationToken());
  }

  @Test
  void rawQueriesGroupAndCount() throws Exception {
    for (int i = 0; i < 3; i++) {
      createDevice("raw-dev-" + i);
      Twin tags = new Twin("raw-dev-" + i);
      tags.getTags().put("fleet", "raw");
      twins().patch(tags);
    }
    RawQueryResponse rows = query().queryRaw("SELECT tags.fleet AS fleet, COUNT() AS n FROM devices GROUP BY tags.fleet");
    boolean found = false;
    while (rows.hasNext()) {
      JsonObject row = JsonParser.parseString(rows.next()).getAsJsonObject();
      if (row.has("fleet") && "raw".equals(row.get("fleet").getAsString())) {
        assertEquals(3, row.get("n").getAsInt());
        found = true;
      }
    }
    assertTrue(found);
    assertFalse(query().queryTwins("SELECT * FROM devices WHERE tags.fleet = 'nobody'").hasNext());
  }
}
